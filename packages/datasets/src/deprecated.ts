// The names that moved to @sdae/core, kept here for one minor version. They are declared (not
// re-exported) so that the @deprecated tags survive into the published type declarations.
import * as core from '@sdae/core';

/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const SdaeError = core.SdaeError;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export type SdaeError = core.SdaeError;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const InvalidArgumentError = core.InvalidArgumentError;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export type InvalidArgumentError = core.InvalidArgumentError;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const Random = core.Random;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export type Random = core.Random;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const assert: typeof core.assert = core.assert;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const describeValue: typeof core.describeValue = core.describeValue;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const requirePositiveInteger: typeof core.requirePositiveInteger = core.requirePositiveInteger;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const requireNonNegativeInteger: typeof core.requireNonNegativeInteger = core.requireNonNegativeInteger;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const requireNumber: typeof core.requireNumber = core.requireNumber;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const requireBoolean: typeof core.requireBoolean = core.requireBoolean;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const resolveChoice: typeof core.resolveChoice = core.resolveChoice;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export const deriveSeed: typeof core.deriveSeed = core.deriveSeed;
/** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
export type NumberRange = core.NumberRange;
