/** One field of a `multipart/form-data` body: its name, the file name when it is a file, and its text. */
export interface FormField {
  name: string;
  filename?: string;
  value: string;
}

/**
 * The fields of a `multipart/form-data` body (what the OpenAI SDK's `files.create` sends), read as text: the
 * mock only takes text files (JSONL batch inputs). Undefined when the body is not multipart.
 */
export function parseMultipart(raw: string, contentType: string | undefined): FormField[] | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "");
  if (!contentType?.toLowerCase().startsWith("multipart/form-data") || !boundary) return undefined;
  const delimiter = `--${boundary[1] ?? boundary[2]!.trim()}`;
  const fields: FormField[] = [];
  for (const part of raw.split(delimiter).slice(1)) {
    if (part.startsWith("--")) break; // the closing delimiter
    const headEnd = part.indexOf("\r\n\r\n");
    if (headEnd < 0) continue;
    const head = part.slice(0, headEnd);
    // The part's body ends before the CRLF that precedes the next delimiter.
    const value = part.slice(headEnd + 4).replace(/\r\n$/, "");
    const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? "";
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) continue;
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    fields.push(filename === undefined ? { name, value } : { name, filename, value });
  }
  return fields;
}
