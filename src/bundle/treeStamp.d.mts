/** The stamp of the source tree now (sizes and mtimes of src/ and package-lock.json). */
export function treeStamp(): string;
/** True when `out` exists and was built from a tree with this stamp. */
export function builtFrom(out: string, stamp: string): boolean;
/** Records that `out` was built from the tree with this stamp. */
export function markBuilt(out: string, stamp: string): void;
