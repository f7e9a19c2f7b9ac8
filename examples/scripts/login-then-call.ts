// A scenario a list of requests cannot express: log in once per user, then call with the token.
// Run it with `loadTest.script: examples/scripts/login-then-call.ts` (Node 24 runs .ts directly).
// `user` is latency-scaler's HttpUser: get/post/put/delete/request(path, { name, headers, json, body, expect }).
import type { HttpUser } from '../../src/loadtest/http-user.ts';

export async function onStart(user: HttpUser): Promise<void> {
  const res = await user.post('/login', { json: { user: `user-${user.id}` }, name: 'login' });
  user.data['token'] = res?.ok ? res.json<{ token: string }>().token : undefined;
}

export const tasks = {
  listItems: {
    weight: 3,
    run: (user: HttpUser) => user.get('/items', { headers: { authorization: `Bearer ${String(user.data['token'])}` } }),
  },
  viewItem: (user: HttpUser) =>
    user.get(`/items/${1 + Math.floor(Math.random() * 10)}`, {
      name: 'GET /items/:id',
      headers: { authorization: `Bearer ${String(user.data['token'])}` },
    }),
};
