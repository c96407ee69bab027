// The stream body observer's decoder (toolkit/utf8-text.ts) must give exactly what a streaming TextDecoder gives,
// whatever the bytes and however the connection splits them: ASCII chunks take a faster path.
import { describe, expect, it } from "vitest";
import { UTF8Text } from "../../src/providers/toolkit/utf8-text.js";

/** A small deterministic generator (tests never depend on Math.random). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const encode = (text: string) => new TextEncoder().encode(text);
const PIECES = ['data: {"x":"plain ascii"}\n\n', "é", "€", "😀", "\uFEFF", "\r\n", "日本語", "\u0000"];
const INVALID = [[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0x80], [0xed, 0xa0, 0x80]];

function bytesOf(next: () => number): Uint8Array {
  const parts: number[] = [];
  if (next() < 0.2) parts.push(0xef, 0xbb, 0xbf); // a BOM opening the stream
  const n = Math.floor(next() * 12);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.1) parts.push(...INVALID[Math.floor(next() * INVALID.length)]!);
    else parts.push(...encode(PIECES[Math.floor(next() * PIECES.length)]!));
  }
  return Uint8Array.from(parts);
}

function splitAt(bytes: Uint8Array, next: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(next() * 8);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (next() < 0.2) chunks.splice(Math.floor(next() * (chunks.length + 1)), 0, new Uint8Array(0));
  return chunks;
}

describe("UTF8Text", () => {
  it("decodes exactly as a streaming TextDecoder on 5,000 generated streams and splits", () => {
    const next = random(19);
    for (let run = 0; run < 5_000; run++) {
      const bytes = bytesOf(next);
      const chunks = splitAt(bytes, next);
      const reference = new TextDecoder();
      const fast = new UTF8Text();
      let expected = "";
      let got = "";
      for (const chunk of chunks) {
        expected += reference.decode(chunk, { stream: true });
        got += fast.write(chunk);
      }
      expected += reference.decode();
      got += fast.end();
      expect(got, `bytes ${Array.from(bytes).join(",")} in ${chunks.map((c) => c.length).join("+")}`).toBe(
        expected,
      );
    }
  });

  it("drops only the BOM that opens the stream, also when it arrives a byte at a time", () => {
    const fast = new UTF8Text();
    expect(fast.write(Uint8Array.of(0xef)) + fast.write(Uint8Array.of(0xbb, 0xbf, 0x61))).toBe("a");
    expect(fast.write(Uint8Array.of(0xef, 0xbb, 0xbf))).toBe("\uFEFF");
  });
});
