/**
 * Fake cloud token services for tests (`@aigw/cloud-credentials/testing`): local `node:http`
 * servers that speak the real wire formats and refuse what the real services refuse.
 */
export { startFakeAwsSts, type FakeAwsSts, type FakeAwsStsOptions } from './aws-sts.js';
export {
  cognitiveServicesScope,
  startFakeAzureAd,
  type FakeAzureAd,
  type FakeAzureAdOptions,
} from './azure-ad.js';
export {
  fakeServiceAccount,
  googleTokenAudience,
  startFakeGoogle,
  type FakeGoogle,
  type FakeGoogleOptions,
  type FakeServiceAccount,
} from './google.js';
export { JwtRejectedError, rsaKeyPair, signJwt, verifyJwt, type RsaKeyPair } from './jwt.js';
export {
  startFakeOidcIssuer,
  type FakeOidcIssuer,
  type FakeOidcIssuerOptions,
} from './oidc-issuer.js';
export type { FakeServer, RecordedRequest } from './server.js';
export { IssuedTokens } from './tokens.js';
export { testTls, type TestTls } from './tls.js';
export { FakeClock, LogRecorder } from './clock.js';
