/**
 * A provider made over a ready SDK client uses the client as is; the options that would configure
 * a client of rlm's own have no meaning beside it, and are refused rather than silently ignored.
 */
import { RlmError } from '../errors.ts';

/** The options that configure a client, and so cannot be given beside a ready one. */
const CLIENT_SETTINGS = ['baseURL', 'apiKey', 'timeoutMs', 'fetch', 'headers'] as const;

type ClientSettings = Partial<Record<(typeof CLIENT_SETTINGS)[number], unknown>>;

/** Throws RLM_USAGE naming the settings given beside `client`, for the function `maker`. */
export function refuseSettingsBesideClient(maker: string, options: ClientSettings): void {
  const clashing = CLIENT_SETTINGS.filter((key) => options[key] !== undefined);
  if (clashing.length === 0) return;
  throw new RlmError(
    'RLM_USAGE',
    `${maker}: ${clashing.join(', ')} cannot be given beside \`client\`, which is used as is: set them on the client`,
  );
}
