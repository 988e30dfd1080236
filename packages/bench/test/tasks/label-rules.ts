/**
 * TREC coarse labels from a question's wording, by rules written here, not in the generator: the
 * brute-force checks of the ground truth and the scripted sub-model both label with these.
 */
export const LABEL_RULES: Array<[string, RegExp]> = [
  ['abbreviation', /stand for\?|full form of|is short for what\?/],
  ['numeric', /^(How many|When did|How tall|What year|How much)\b/],
  ['entity', /^(What kind of animal|Which instrument|What colour|What food)\b/],
  ['location', /^(Where|In which country|What city)\b/],
  ['human', /^(Who|Which person)\b/],
  ['description', /^(What is|Why does|How does)\b/],
];

/** The label of an instance, or undefined if no rule matches. */
export function labelOf(instance: string): string | undefined {
  return LABEL_RULES.find(([, rule]) => rule.test(instance))?.[0];
}
