// The one escape for untrusted text (anything from the stream, the command line or an
// HTTP request) on its way to a terminal or a log: control characters that could drive
// the reader's terminal (ESC / CSI / OSC sequences, C1 controls, backspace, carriage
// return) and bidirectional overrides that reorder what is shown become visible escapes.
// Applied to each untrusted field before colouring, never to tweetstream's own colours.

// C0 and DEL, C1 (U+0080–U+009F: 8-bit CSI/OSC), bidi embeddings, overrides and isolates,
// line/paragraph separators
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_KEEP_NEWLINES =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  if (c === "\n") return "\\n";
  if (c === "\t") return "\\t";
  if (c === "\r") return "\\r";
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * `text` safe to print: one line unless `keepNewlines` (a pretty-printed payload).
 * ESC becomes `\u001b`, a newline `\n`, U+202E `\u202e`; everything else is unchanged.
 */
export function safeText(text: string, opts: { keepNewlines?: boolean } = {}): string {
  return text.replace(opts.keepNewlines ? UNSAFE_KEEP_NEWLINES : UNSAFE, escape);
}
