/** The Gemini (Vertex AI `generateContent`) wire format. */
import {
  answer,
  arrayOf,
  embeddingOf,
  isObject,
  pieces,
  type Answer,
  type Conversation,
  type FakeTokenUsage,
} from './conversation.js';

function responseText(response: unknown): string {
  if (!isObject(response)) return JSON.stringify(response);
  for (const key of ['output', 'content', 'result']) {
    const value = response[key];
    if (typeof value === 'string') return value;
  }
  return JSON.stringify(response);
}

function declaredTools(body: Record<string, unknown>): string[] {
  return arrayOf(body.tools).flatMap((tool) =>
    isObject(tool)
      ? arrayOf(tool.functionDeclarations).flatMap((fn) =>
          isObject(fn) && typeof fn.name === 'string' ? [fn.name] : [],
        )
      : [],
  );
}

/** Reads a `generateContent` request into a {@link Conversation} (plus function results' names). */
export function geminiConversation(
  body: Record<string, unknown>,
): Conversation & { readonly resultNames: readonly string[] } {
  let userText = '';
  let toolResult: string | undefined;
  const resultNames: string[] = [];
  for (const content of arrayOf(body.contents)) {
    if (!isObject(content) || content.role !== 'user') continue;
    const parts = arrayOf(content.parts).filter(isObject);
    const text = parts.map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
    if (text) userText = text;
    for (const part of parts) {
      if (!isObject(part.functionResponse)) continue;
      toolResult = responseText(part.functionResponse.response);
      resultNames.push(String(part.functionResponse.name));
    }
  }
  return { userText, toolResult, toolNames: declaredTools(body), resultNames };
}

/** Why a `generateContent` request is refused (`undefined` when it is fine). */
export function geminiRequestProblem(body: Record<string, unknown>): string | undefined {
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    return 'Unable to submit request because it has an empty contents field.';
  }
  const conversation = geminiConversation(body);
  const unknown = conversation.resultNames.find((name) => !conversation.toolNames.includes(name));
  return unknown === undefined
    ? undefined
    : `function response name ${unknown} does not match any declared function`;
}

function parts(a: Answer, textPiece?: string): object[] {
  return a.kind === 'text'
    ? [{ text: textPiece ?? a.text }]
    : [{ functionCall: { name: a.name, args: a.arguments } }];
}

function usageMetadata(usage: FakeTokenUsage): object {
  return {
    promptTokenCount: usage.input,
    candidatesTokenCount: usage.output,
    totalTokenCount: usage.input + usage.output,
  };
}

/** The non-streaming `generateContent` response. */
export function geminiResponse(
  body: Record<string, unknown>,
  options: { readonly model: string; readonly usage: FakeTokenUsage },
): object {
  const a = answer(geminiConversation(body));
  return {
    candidates: [{ content: { role: 'model', parts: parts(a) }, finishReason: 'STOP', index: 0 }],
    usageMetadata: usageMetadata(options.usage),
    modelVersion: options.model,
    responseId: 'fake-gemini-response-1',
  };
}

/** The `streamGenerateContent?alt=sse` frames. */
export function geminiStreamFrames(
  body: Record<string, unknown>,
  options: { readonly model: string; readonly usage: FakeTokenUsage },
): string[] {
  const a = answer(geminiConversation(body));
  const texts = a.kind === 'text' ? pieces(a.text, 7) : [undefined];
  return texts.map((piece, i) => {
    const isLast = i === texts.length - 1;
    const chunk = {
      candidates: [
        {
          content: { role: 'model', parts: parts(a, piece) },
          ...(isLast ? { finishReason: 'STOP' } : {}),
          index: 0,
        },
      ],
      ...(isLast ? { usageMetadata: usageMetadata(options.usage) } : {}),
      modelVersion: options.model,
      responseId: 'fake-gemini-response-1',
    };
    return `data: ${JSON.stringify(chunk)}\r\n\r\n`;
  });
}

/** The `:predict` response of a text-embedding model. */
export function vertexPredictResponse(body: Record<string, unknown>): object {
  const predictions = arrayOf(body.instances).map((instance) => {
    const content =
      isObject(instance) && typeof instance.content === 'string' ? instance.content : '';
    return {
      embeddings: {
        values: embeddingOf(content),
        statistics: { token_count: content.split(/\s+/).filter(Boolean).length, truncated: false },
      },
    };
  });
  return { predictions, metadata: { billableCharacterCount: 0 } };
}

/** A Google API error body. */
export function googleError(code: number, status: string, message: string): object {
  return { error: { code, message, status } };
}
