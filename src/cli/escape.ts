/**
 * Text from children or the wire, made safe to print on a terminal (SPEC 12):
 * a child's ESC, BEL or carriage return must not retitle the user's terminal,
 * clear the screen or overwrite what brainstem said. For `callosum listen
 * --pretty` and every status line brainstem prints; never for what `run`
 * passes through from its own child.
 */

// C0 but tab, DEL, and C1 (U+0080–U+009F, which some terminals obey as ESC sequences).
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
const HAS_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/** `text` with each control character (C0 but tab, DEL, C1) written as `\xNN`, e.g. ESC as `\x1b`. */
export function escapeControls(text: string): string {
  if (!HAS_CONTROL.test(text)) return text;
  return text.replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Whether `text` holds a character `escapeControls` would escape. */
export function hasControls(text: string): boolean {
  return HAS_CONTROL.test(text);
}
