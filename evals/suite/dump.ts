import { Document, isScalar, isSeq, visit } from 'yaml';
import type { Suite } from './schema.js';

/** YAML text of a suite: block style, with lists of plain values (coordinates, boxes) kept on one line. */
export function dumpSuiteYaml(suite: Suite, header = ''): string {
  const doc = new Document(suite, { aliasDuplicateObjects: false });
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i) || (isSeq(i) && i.items.every(isScalar)))) node.flow = true;
    },
  });
  return header + doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
