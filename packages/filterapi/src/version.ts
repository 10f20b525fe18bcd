/**
 * The filter-config contract version this build reads and writes.
 *
 * The controller (or `aigw run`) stamps it into every document it writes; the extproc refuses a
 * document whose `version` differs and keeps serving the last good config. That covers rolling
 * upgrades, where an old extproc may briefly see a config written by a newer controller.
 * Bump it whenever a change to the schema is not backwards compatible.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/filterapi/filterconfig.go (`Config.Version`)
 */
export const filterConfigVersion = 'v1';
