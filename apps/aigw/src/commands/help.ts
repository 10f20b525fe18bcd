/** Usage text of each command, printed by `--help`. */
export const usage = {
  root: `aigw — an AI gateway on Envoy

Usage: aigw <command> [flags]

Commands:
  run [files…]        start a standalone gateway (Envoy + extproc + rate limiter) on port 1975
  translate files…    print the Kubernetes objects the controller generates from AIGateway CRs
  healthcheck         check that a running 'aigw run' is healthy
  hash-key KEY…       print the SHA-256 digest a client-keys Secret stores for each key
  version             print the version

Run 'aigw <command> --help' for a command's flags.
`,
  run: `Usage: aigw run [files…] [flags]

Starts a standalone AI gateway on http://localhost:1975: Envoy, the extproc and, when the files set
token limits, the rate limiter, as child processes. The files hold AIGatewayRoute, AIServiceBackend,
BackendSecurityPolicy, Backend, Secret and BackendTrafficPolicy objects; \${VAR} is replaced from the
environment. Edits to the files are applied live (an invalid edit is logged and ignored).

Without files it runs the embedded default: every model to an OpenAI-compatible server
(OPENAI_BASE_URL, default https://api.openai.com/v1, key OPENAI_API_KEY), plus claude-* models to
Anthropic when ANTHROPIC_API_KEY is set.

Flags:
  --port <n>          listener port (env AIGW_PORT, default 1975)
  --admin-port <n>    Envoy admin port on 127.0.0.1 (env AIGW_ADMIN_PORT, default 1064)
  --root-prefix <p>   path prefix of every endpoint, e.g. /ai (env AIGW_ROOT_PREFIX, default /)
  --endpoint-prefixes <list>
                      prefixes below the root per API family (env AIGW_ENDPOINT_PREFIXES,
                      default openai:/,cohere:/cohere,anthropic:/anthropic)
  --redis-url <url>   keep rate-limit counters in Redis (env AIGW_REDIS_URL; default: in memory)
  --debug             debug logs from aigw, Envoy, the extproc and the rate limiter (env AIGW_DEBUG)
  --log-level <lvl>   trace|debug|info|warn|error|fatal|silent (env AIGW_LOG_LEVEL, default info)
  --log-format <fmt>  pretty|json (env AIGW_LOG_FORMAT, default pretty)
  --help              show this text

Envoy is taken from ENVOY_BIN, then PATH, then .tools/bin/envoy (bash scripts/bootstrap.sh).
Ctrl-C (SIGINT) or SIGTERM stops everything and removes the temporary state directory.
`,
  translate: `Usage: aigw translate files…

Prints, as one YAML stream, the Kubernetes objects the controller generates from the AIGateway
resources in the files (AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy, …): per
AIGatewayRoute an HTTPRoute and its HTTPRouteFilters, per Gateway the extproc config Secret,
followed by the files' other objects (Gateways, Backends, Secrets, …) unchanged.

Problems are printed to stderr, one per line with the file, the object and the field; the exit
code is then 1.

Flags:
  --root-prefix <p>   path prefix of the HTTPRoute matches, as the controller's rootPrefix
                      (env AIGW_ROOT_PREFIX, default /)
  --help              show this text
`,
  healthcheck: `Usage: aigw healthcheck [flags]

Exits 0 when the local 'aigw run' is ready (Envoy admin /ready answers 200 and the gateway
listener answers HTTP), 1 otherwise, with a one-line reason.

Flags:
  --admin-port <n>    Envoy admin port of the gateway (env AIGW_ADMIN_PORT, default 1064)
  --timeout-ms <n>    give up after this long (default 3000)
  --help              show this text
`,
  'hash-key': `Usage: aigw hash-key KEY…

Prints the SHA-256 digest (64 hex digits) of each client key, one per line: what a client-keys
Secret stores per tenant (GatewayConfig annotation aigateway.envoyproxy.io/client-keys; see
docs/budgets.md). The same as: printf %s "$KEY" | sha256sum

Flags:
  --help              show this text
`,
  version: `Usage: aigw version

Prints the aigw version.
`,
} as const;
