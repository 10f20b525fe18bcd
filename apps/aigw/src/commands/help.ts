/** Usage text of each command, printed by `--help`. */
export const usage = {
  root: `aigw — an AI gateway on Envoy

Usage: aigw <command> [flags]

Commands:
  run [files…]        start a standalone gateway (Envoy + extproc + rate limiter) on port 1975
  translate files…    print the Kubernetes objects the controller generates from AIGateway CRs
  healthcheck         check that a running 'aigw run' is healthy
  version             print the version

Run 'aigw <command> --help' for a command's flags.
`,
  run: `Usage: aigw run [files…] [flags]

Starts Envoy, the extproc and the rate limiter from AIGatewayRoute, AIServiceBackend,
BackendSecurityPolicy and QuotaPolicy YAML files (an embedded default when none is given).

Flags:
  --port <n>          listener port (env AIGW_PORT, default 1975)
  --log-level <lvl>   trace|debug|info|warn|error|fatal|silent (env AIGW_LOG_LEVEL, default info)
  --log-format <fmt>  json|pretty (env AIGW_LOG_FORMAT, default json)
  --help              show this text
`,
  translate: `Usage: aigw translate files…

Prints the Kubernetes objects (HTTPRoute, HTTPRouteFilter, the extproc config Secret, …) that the
controller generates from the given AIGateway CRs.
`,
  healthcheck: `Usage: aigw healthcheck

Exits 0 when a local 'aigw run' answers its health check, 1 otherwise.
`,
  version: `Usage: aigw version

Prints the aigw version.
`,
} as const;
