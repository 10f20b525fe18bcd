// Started by lazy-module.test.ts in a fresh Node process: records every module Node loads (ESM
// and CommonJS, through a synchronous module hook), imports the package, creates a rotator, runs
// the exchanges named in argv one by one and prints, after each step, which cloud SDKs have been
// loaded so far, as one JSON line. `--break <module>` makes that module fail to load, as when it
// is missing from an installation. Node runs this file itself (type stripping), so the hook also
// maps the `.js` specifiers of the TypeScript sources to their `.ts` files.
import { registerHooks } from 'node:module';

const sdks = {
  aws: '/node_modules/@aws-sdk/client-sts/',
  azure: '/node_modules/@azure/identity/',
  gcp: '/node_modules/google-auth-library/',
} as const;
type Sdk = keyof typeof sdks;

const args = process.argv.slice(2);
const breakAt = args.indexOf('--break');
const broken = breakAt === -1 ? undefined : args.splice(breakAt, 2)[1];
const loaded = new Set<Sdk>();

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === broken) throw new Error(`Cannot find package '${specifier}' (--break)`);
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw err;
    }
  },
  load(url, context, nextLoad) {
    for (const [sdk, path] of Object.entries(sdks)) {
      if (url.includes(path)) loaded.add(sdk as Sdk);
    }
    return nextLoad(url, context);
  },
});

function report(step: string, error?: unknown): void {
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  const line = {
    step,
    loaded: [...loaded].sort(),
    ...(e === undefined ? {} : { error: { name: e.name, code: e.code, message: e.message } }),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const cc = await import('@aigw/cloud-credentials');
const rotator = cc.createRotator({
  name: 'default/probe',
  kind: 'probe',
  exchange: () => Promise.resolve({ expiresAt: new Date(Date.now() + 3_600_000) }),
  sink: () => undefined,
});
rotator.start();
await rotator.ready();
await rotator.stop();
report('import');

// No request leaves the process: the signal is aborted, so each exchange fails at its first
// request — after it has loaded its SDK.
const options = { signal: AbortSignal.abort() };
const oidc = { issuer: 'https://issuer.invalid', clientId: 'probe', clientSecret: 'probe-secret' };
const exchanges: Record<string, () => Promise<unknown>> = {
  aws: () =>
    cc.exchangeAwsOidc(
      { policyName: 'probe', region: 'us-east-1', roleArn: 'arn:aws:iam::1:role/probe', oidc },
      options,
    ),
  azure: () => cc.exchangeAzureOidc({ tenantId: 'tenant', clientId: 'app', oidc }, options),
  gcp: () =>
    cc.exchangeGcpWorkloadIdentity(
      { projectId: 'project', poolName: 'pool', providerName: 'provider', oidc },
      options,
    ),
};

for (const step of args) {
  const exchange = exchanges[step];
  if (exchange === undefined) throw new Error(`unknown step ${step}`);
  try {
    await exchange();
    report(step);
  } catch (err) {
    report(step, err);
  }
}
