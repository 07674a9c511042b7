// A real OpenFeature server SDK with its OFREP provider, driven by
// crates/flags/tests/integration/openfeature_sdk.rs. Prints one JSON object
// per line on stdout. Usage: node client.mjs MODE BASE_URL [TOKEN]
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OFREPApi } from '@openfeature/ofrep-core';

const [mode, baseUrl, token] = process.argv.slice(2);
const headers = token ? [['Authorization', `Bearer ${token}`]] : [];
const print = (object) => process.stdout.write(JSON.stringify(object) + '\n');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const FLIP_DEADLINE_MS = 5000;

async function client() {
  await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl, headers }));
  return OpenFeature.getClient();
}

const details = (d) => ({
  value: d.value,
  variant: d.variant ?? null,
  reason: d.reason ?? null,
  errorCode: d.errorCode ?? null,
  flagMetadata: d.flagMetadata ?? {},
});

async function evaluate() {
  const flags = await client();
  const user = { targetingKey: 'user-1' };
  print({
    analytics: details(await flags.getBooleanDetails('analytics', false, user)),
    banner: details(await flags.getStringDetails('banner', 'none', user)),
    bannerQa: details(await flags.getStringDetails('banner', 'none', { ...user, email: 'qa-1@example.com' })),
    pageSize: details(await flags.getNumberDetails('page-size', 0, user)),
    ratio: details(await flags.getNumberDetails('ratio', 0, user)),
    limits: details(await flags.getObjectDetails('limits', {}, user)),
    missing: details(await flags.getBooleanDetails('missing', false, user)),
    noTargetingKey: details(await flags.getBooleanDetails('new-search', false, {})),
    wrongType: details(await flags.getNumberDetails('analytics', 7, user)),
  });
}

async function bulk() {
  // Bulk evaluation through the provider's own OFREP transport.
  const api = new OFREPApi(baseUrl);
  const request = { context: { targetingKey: 'user-1' } };
  const first = await api.postBulkEvaluateFlags(request, { headers });
  const etag = first.httpResponse.headers.get('ETag');
  const again = await api.postBulkEvaluateFlags(request, { headers: [...headers, ['If-None-Match', etag]] });
  print({
    status: first.httpStatus,
    etag,
    flags: first.value.flags,
    eventStreams: first.value.eventStreams,
    revalidatedStatus: again.httpStatus,
  });
}

async function flip() {
  // Evaluates every 20 ms and reports the first change it sees.
  const flags = await client();
  const initial = await flags.getBooleanValue('analytics', false, { targetingKey: 'user-1' });
  print({ event: 'ready', value: initial });
  const started = Date.now();
  while (Date.now() - started < FLIP_DEADLINE_MS) {
    await sleep(20);
    const value = await flags.getBooleanValue('analytics', initial, { targetingKey: 'user-1' });
    if (value !== initial) {
      print({ event: 'changed', value });
      return;
    }
  }
  print({ event: 'timeout' });
  process.exitCode = 1;
}

async function events() {
  // Follows the bulk response's SSE event stream and re-fetches on
  // refetchEvaluation, as a static-context provider does (OFREP ADR-0008).
  const api = new OFREPApi(baseUrl);
  const request = { context: { targetingKey: 'user-1' } };
  const first = await api.postBulkEvaluateFlags(request, { headers });
  let etag = first.httpResponse.headers.get('ETag');
  const value = (response) => response.value.flags.find((f) => f.key === 'analytics').value;
  const initial = value(first);
  const stream = await fetch(first.value.eventStreams[0].url, { headers });
  const reader = stream.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  print({ event: 'ready', value: initial });
  for (;;) {
    const { value: chunk, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = message.split('\n').find((line) => line.startsWith('data:'));
      if (!data) continue;
      const event = JSON.parse(data.slice(5));
      if (event.type !== 'refetchEvaluation') continue;
      const refetch = await api.postBulkEvaluateFlags(request, {
        headers: [...headers, ['If-None-Match', etag]],
      });
      if (refetch.httpStatus === 200) {
        etag = refetch.httpResponse.headers.get('ETag');
        print({ event: 'changed', value: value(refetch), sseEtag: event.etag });
        await reader.cancel();
        return;
      }
    }
  }
  print({ event: 'stream-ended' });
  process.exitCode = 1;
}

async function auth() {
  const flags = await client();
  print({ analytics: details(await flags.getBooleanDetails('analytics', false, { targetingKey: 'u' })) });
}

const modes = { evaluate, bulk, flip, events, auth };
if (!modes[mode]) {
  console.error(`unknown mode ${mode}; use one of ${Object.keys(modes).join(', ')}`);
  process.exit(2);
}
await modes[mode]();
await OpenFeature.close();
