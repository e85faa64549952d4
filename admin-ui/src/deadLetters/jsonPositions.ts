// Where in the JSON text a parse error or a contract error (a field path) sits, from CodeMirror's JSON syntax tree.
import { json } from '@codemirror/lang-json';
import { ensureSyntaxTree, syntaxTree } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import type { SyntaxNode } from '@lezer/common';

/** A range of the text, with the 1-based line and column of its start. */
export interface TextRange {
  readonly from: number;
  readonly to: number;
  readonly line: number;
  readonly column: number;
}

const VALUES = new Set(['Object', 'Array', 'String', 'Number', 'True', 'False', 'Null']);

function rangeOf(state: EditorState, from: number, to: number): TextRange {
  const line = state.doc.lineAt(from);
  return { from, to: Math.max(to, from), line: line.number, column: from - line.from + 1 };
}

function tree(state: EditorState) {
  return ensureSyntaxTree(state, state.doc.length, 500) ?? syntaxTree(state);
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

/**
 * The segments of a contract error's field (`body.items.0.quantity`): the leading `body` or
 * `payload` names the message itself, not a key in it.
 */
export function pathOf(field: string): string[] {
  const parts = field.split('.');
  return parts[0] === 'body' || parts[0] === 'payload' ? parts.slice(1) : parts;
}

/**
 * The value at `path` in the JSON text; for a key the object lacks (a required field left out),
 * the opening brace of the object that should hold it. Null when the text does not get that far.
 */
export function locatePath(state: EditorState, path: readonly string[]): TextRange | null {
  const top = children(tree(state).topNode).find((n) => VALUES.has(n.name));
  if (!top) return null;
  let node: SyntaxNode = top;
  for (const segment of path) {
    if (node.name === 'Object') {
      const property: SyntaxNode | undefined = children(node).find((p) => {
        if (p.name !== 'Property') return false;
        const name = p.getChild('PropertyName');
        if (!name) return false;
        try {
          return JSON.parse(state.sliceDoc(name.from, name.to)) === segment;
        } catch {
          return false;
        }
      });
      const value: SyntaxNode | undefined = property
        ? children(property).find((n) => VALUES.has(n.name))
        : undefined;
      if (!value) return rangeOf(state, node.from, node.from + 1);
      node = value;
    } else if (node.name === 'Array' && /^\d+$/.test(segment)) {
      const value: SyntaxNode | undefined = children(node).filter((n) => VALUES.has(n.name))[Number(segment)];
      if (!value) return rangeOf(state, node.from, node.from + 1);
      node = value;
    } else {
      break;
    }
  }
  return rangeOf(state, node.from, node.to);
}

/** The first syntax error: JSON.parse's message and, where it does not say where, the syntax tree's. */
export function parseError(state: EditorState): (TextRange & { message: string }) | null {
  const text = state.doc.toString();
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const message = error.message;
    let at: number | undefined;
    const position = /at position (\d+)/.exec(message);
    const lineColumn = /line (\d+) column (\d+)/.exec(message);
    if (lineColumn) at = state.doc.line(Number(lineColumn[1])).from + Number(lineColumn[2]) - 1;
    else if (position) at = Number(position[1]);
    if (at === undefined) {
      tree(state).iterate({
        enter: (node) => {
          if (at !== undefined) return false;
          if (node.type.isError) at = node.from;
          return undefined;
        },
      });
    }
    const from = Math.min(at ?? text.length, text.length);
    return { ...rangeOf(state, from, Math.min(from + 1, text.length)), message };
  }
}

/** The body as the editor starts it: pretty JSON. */
export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}

function stateOf(text: string): EditorState {
  return EditorState.create({ doc: text, extensions: [json()] });
}

/** Where `field` (a contract error's path) sits in `text`. */
export function fieldPosition(text: string, field: string): TextRange | null {
  return locatePath(stateOf(text), pathOf(field));
}

/** The first syntax error of `text` with its line and column, or null when it is valid JSON. */
export function syntaxErrorOf(text: string): (TextRange & { message: string }) | null {
  return parseError(stateOf(text));
}
