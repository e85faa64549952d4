// The original body beside the edit, changed lines marked (CodeMirror's merge view, read-only).
import { json } from '@codemirror/lang-json';
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { MergeView } from '@codemirror/merge';
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { useEffect, useRef } from 'react';

const readOnly = (label: string) => [
  json(),
  syntaxHighlighting(defaultHighlightStyle),
  EditorView.lineWrapping,
  EditorState.readOnly.of(true),
  EditorView.editable.of(false),
  EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
];

export function MergeDiff({ original, edited }: { original: string; edited: string }) {
  const host = useRef<HTMLDivElement>(null);
  const merge = useRef<MergeView | null>(null);
  useEffect(() => {
    const view = new MergeView({
      parent: host.current!,
      a: { doc: original, extensions: readOnly('Original body') },
      b: { doc: edited, extensions: readOnly('Edited body') },
      collapseUnchanged: { margin: 2, minSize: 4 },
      gutter: true,
    });
    merge.current = view;
    return () => {
      view.destroy();
      merge.current = null;
    };
  }, [original]);
  useEffect(() => {
    const b = merge.current?.b;
    if (!b || b.state.doc.toString() === edited) return;
    b.dispatch({ changes: { from: 0, to: b.state.doc.length, insert: edited } });
  }, [edited]);
  return (
    <div
      className="merge-diff"
      ref={host}
      role="group"
      aria-label="Original (left) and edited (right) body"
    />
  );
}
