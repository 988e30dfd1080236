/**
 * The demo's long text: a ship's logbook of 3,000 days (about 1.2 million characters), generated the same
 * way every time. One entry records who first sighted the lighthouse at Cape Sorrow; a few others
 * mention lighthouses without a sighting, so a regex alone cannot tell which one counts.
 */
export interface Logbook {
  text: string;
  /** The facts the demo's query asks about, to check the answer. */
  sighting: { name: string; day: number };
  storms: number;
}

const CREW = ['Ines Alvarado', 'Tomas Reyes', 'Mara Quill', 'Jonah Hale', 'Esther Vane', 'Pieter Lund', 'Amaru Cusi', 'Lena Brandt'];
const WEATHER = ['fair', 'overcast', 'light rain', 'heavy swell', 'fog at dawn', 'clear and cold', 'squalls to the west', 'calm'];
const TASKS = [
  'mended the foresail',
  'took soundings off the starboard bow',
  'inventoried the salt pork',
  'caulked a seam below the waterline',
  'drilled the watch on the pumps',
  'traded rope for fresh water at a fishing village',
  "repaired the ship's boat",
  'tarred the rigging',
];
const SIGHTING_DAY = 1287;

export function generateLogbook(days = 3000, seed = 7): Logbook {
  let state = seed;
  const random = () => {
    // xorshift32: small, fast, deterministic
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const entries: string[] = ['THE LOGBOOK OF THE MERIDIAN\nKept by the officers of the watch, from her departure to her return.\n'];
  let storms = 0;
  for (let day = 1; day <= days; day++) {
    const lines = [
      `Day ${day} — Weather ${pick(WEATHER)}. Wind ${Math.floor(random() * 30) + 2} knots from ${pick(['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'])}.`,
    ];
    for (let i = 0; i < 6; i++)
      lines.push(
        `${pick(CREW)} ${pick(TASKS)}; ${pick(['no incident', 'all well', 'slow work', 'done by the second bell', 'the captain approved'])}.`,
      );
    if (random() < 0.04) {
      storms++;
      lines.push(
        `Storm: ${pick(['a gale from the south', 'lightning and hail', 'a squall that split the jib'])}; ${pick(CREW)} lashed to the wheel through the night.`,
      );
    }
    if (day === SIGHTING_DAY)
      lines.push(
        'At the turn of the morning watch Ines Alvarado, aloft, sighted the lighthouse at Cape Sorrow, first of all the crew; we altered course.',
      );
    if (day === 212) lines.push("The cook sang the old lighthouse keeper's song at supper.");
    if (day === 640)
      lines.push('Tomas Reyes swore he saw the lighthouse at Cape Sorrow, but it was a fishing lantern; the captain logged no sighting.');
    if (day === 1102) lines.push('Charts say the lighthouse at Cape Sorrow lies some two hundred leagues east.');
    entries.push(lines.join('\n'));
  }
  return { text: entries.join('\n\n'), sighting: { name: 'Ines Alvarado', day: SIGHTING_DAY }, storms };
}
