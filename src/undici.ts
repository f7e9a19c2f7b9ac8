// The one module that imports undici (https, scenario scripts, the webhook target, the Locust
// master's API): reached only through the commands that need it, never at start-up.
import { markLoaded } from './loaded.ts';

export { Agent, Pool, request } from 'undici';
export type { Dispatcher } from 'undici';

markLoaded('undici');
