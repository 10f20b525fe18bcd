/** Token usage of one request attempt, in the gateway's backend-neutral shape. */
export interface Usage {
  /** Prompt tokens, including cached ones. */
  inputTokens: number;
  /** Completion tokens, including reasoning ones. */
  outputTokens: number;
  /** What the backend reports as total (input + output when it does not say). */
  totalTokens: number;
  /** Prompt tokens served from the backend's prompt cache. */
  cachedInputTokens: number;
  /**
   * Prompt tokens written to the backend's prompt cache (Anthropic `cache_creation_input_tokens`,
   * Bedrock `cacheWriteInputTokens`), included in {@link inputTokens}. Present only when the
   * backend reported a non-zero count; read it as `usage.cacheCreationInputTokens ?? 0`.
   */
  cacheCreationInputTokens?: number;
  /** Completion tokens spent on reasoning. */
  reasoningTokens: number;
}

/** A fresh all-zero {@link Usage}. */
export function emptyUsage(): Usage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
  };
}
