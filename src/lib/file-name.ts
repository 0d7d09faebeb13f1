/** Upload names as people give them: kept for display, never trusted as paths. */

/** True for characters below space and DEL, which have no place in a file name. */
const isControl = (ch: string) => ch < " " || ch === "\x7f";

/** The name a person gave the file, without any path, control characters or excess length. */
export function safeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? "";
  const clean = [...base]
    .filter((ch) => !isControl(ch))
    .join("")
    .trim()
    .slice(0, 200);
  return clean === "" || clean === "." || clean === ".." ? "upload" : clean;
}
