// Scripted scenarios: a JS/TS module named by loadTest.script, loaded at run time (never bundled),
// shaped like a locustfile:
//   export async function onStart(user) { … }                    // once per user, e.g. log in
//   export const tasks = { browse: { weight: 3, run: (user) => user.get('/items') }, buy: (user) => … };
// `user` is an HttpUser: get/post/put/delete/request(path, { name, headers, json, body, expect }),
// recording statistics under `name` (default `METHOD path`); `user.data` keeps per-user state.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.ts';
import type { HttpUser } from './http-user.ts';

export type Task = (user: HttpUser) => unknown;

export interface Scenario {
  onStart?: Task;
  onStop?: Task;
  tasks: { name: string; weight: number; run: Task }[];
}

export async function loadScenario(path: string): Promise<Scenario> {
  let mod: Record<string, unknown>;
  try {
    // A variable specifier: esbuild leaves the import to run time.
    const url = pathToFileURL(resolve(path)).href;
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([
      { path: 'loadTest.script', message: `cannot load ${JSON.stringify(path)}: ${(err as Error).message}` },
    ]);
  }
  const source = (typeof mod['default'] === 'object' && mod['default'] !== null ? mod['default'] : mod) as Record<
    string,
    unknown
  >;
  const issues = [];
  const tasks: Scenario['tasks'] = [];
  const raw = source['tasks'];
  if (typeof raw !== 'object' || raw === null) {
    issues.push({
      path: 'loadTest.script',
      message:
        `${JSON.stringify(path)} exports no tasks; expected ` +
        'export const tasks = { name: (user) => …, other: { weight: 3, run: (user) => … } }',
    });
  } else {
    for (const [name, t] of Object.entries(raw)) {
      const task = typeof t === 'function' ? { weight: 1, run: t } : (t as { weight?: unknown; run?: unknown });
      if (typeof task.run !== 'function')
        issues.push({ path: `loadTest.script tasks.${name}`, message: 'is neither a function nor { weight, run }' });
      else if (typeof task.weight !== 'number' || !(task.weight > 0))
        issues.push({
          path: `loadTest.script tasks.${name}.weight`,
          message: `${JSON.stringify(task.weight)} is not a number above 0`,
        });
      else tasks.push({ name, weight: task.weight, run: task.run as Task });
    }
    if (tasks.length === 0 && issues.length === 0) issues.push({ path: 'loadTest.script', message: 'tasks is empty' });
  }
  for (const hook of ['onStart', 'onStop']) {
    if (source[hook] !== undefined && typeof source[hook] !== 'function')
      issues.push({ path: `loadTest.script ${hook}`, message: 'is not a function' });
  }
  if (issues.length) throw new ConfigError(issues, path);
  return {
    tasks,
    ...(typeof source['onStart'] === 'function' ? { onStart: source['onStart'] as Task } : {}),
    ...(typeof source['onStop'] === 'function' ? { onStop: source['onStop'] as Task } : {}),
  };
}
