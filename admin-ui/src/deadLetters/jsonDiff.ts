// What an edit changes in a message body: a line diff of the pretty JSON and the list of changed fields.
import { findJsonSyntaxError } from './jsonSyntax.js';

export interface DiffLine {
  readonly kind: 'same' | 'added' | 'removed';
  readonly text: string;
  /** Line number in the original (same, removed) and in the edit (same, added), from 1. */
  readonly oldLine?: number;
  readonly newLine?: number;
}

/** Line diff by longest common subsequence; inputs of a few thousand lines are fine. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // Common prefix and suffix first: an edit usually touches a few lines in the middle.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const lcs: number[][] = Array.from({ length: midA.length + 1 }, () =>
    new Array<number>(midB.length + 1).fill(0),
  );
  for (let i = midA.length - 1; i >= 0; i--) {
    for (let j = midB.length - 1; j >= 0; j--) {
      lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const lines: DiffLine[] = [];
  for (let k = 0; k < start; k++) lines.push({ kind: 'same', text: a[k]!, oldLine: k + 1, newLine: k + 1 });
  let i = 0;
  let j = 0;
  while (i < midA.length || j < midB.length) {
    if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
      lines.push({ kind: 'same', text: midA[i]!, oldLine: start + i + 1, newLine: start + j + 1 });
      i++;
      j++;
    } else if (i < midA.length && (j === midB.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      lines.push({ kind: 'removed', text: midA[i]!, oldLine: start + i + 1 });
      i++;
    } else {
      lines.push({ kind: 'added', text: midB[j]!, newLine: start + j + 1 });
      j++;
    }
  }
  for (let k = 0; k < a.length - endA; k++) {
    lines.push({ kind: 'same', text: a[endA + k]!, oldLine: endA + k + 1, newLine: endB + k + 1 });
  }
  return lines;
}

export interface FieldChange {
  /** Dotted path from the body's root, `items.0.quantity`; `(body)` for the root itself. */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every field the edit adds, removes or changes, deepest first where objects and arrays nest. */
export function changedFields(before: unknown, after: unknown, path: string[] = []): FieldChange[] {
  const at = path.length ? path.join('.') : '(body)';
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: FieldChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      if (i >= after.length)
        changes.push({ path: [...path, String(i)].join('.'), kind: 'removed', before: before[i] });
      else if (i >= before.length)
        changes.push({ path: [...path, String(i)].join('.'), kind: 'added', after: after[i] });
      else changes.push(...changedFields(before[i], after[i], [...path, String(i)]));
    }
    return changes;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key): FieldChange[] => {
      const child = [...path, key];
      if (!(key in after)) return [{ path: child.join('.'), kind: 'removed', before: before[key] }];
      if (!(key in before)) return [{ path: child.join('.'), kind: 'added', after: after[key] }];
      return changedFields(before[key], after[key], child);
    });
  }
  return Object.is(before, after) ? [] : [{ path: at, kind: 'changed', before, after }];
}

/** Pretty JSON for diffing: two-space indent, key order as written. */
export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'undefined';
}

export interface JsonParse {
  readonly ok: boolean;
  readonly value?: unknown;
  /** Where parsing failed, in words with line and column. */
  readonly error?: string;
  readonly line?: number;
}

/** Parses the editor's text; a syntax error names its line and column. */
export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const found = findJsonSyntaxError(text);
    if (!found) return { ok: false, error: (error as Error).message };
    return {
      ok: false,
      error: `${found.message} (line ${found.line}, column ${found.column})`,
      line: found.line,
    };
  }
}
