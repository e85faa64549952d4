// Says in words what a bulk replay selected, from the summary the API keeps of it.
import type { ReplayJobSelector } from '../api/types.js';

/** "120 chosen dead letters", "every open dead letter of group f00dfeed…", "open dead letters where queue = …". */
export function describeSelector(selector: ReplayJobSelector): string {
  switch (selector.kind) {
    case 'ids':
      return `${selector.count} chosen dead ${selector.count === 1 ? 'letter' : 'letters'}`;
    case 'fingerprint':
      return `every open dead letter of group ${selector.fingerprint.slice(0, 12)}`;
    case 'filter': {
      const terms = Object.entries(selector.filter).map(([key, value]) => `${key} = “${value}”`);
      return terms.length === 0 ? 'every open dead letter' : `open dead letters where ${terms.join(', ')}`;
    }
  }
}
