/**
 * mathjs values for the comp-manager codec: Fraction, Complex, BigNumber, DenseMatrix,
 * SparseMatrix and Unit round-trip exactly and hash canonically.
 */
export { createMathCodec, registerMathTypes } from './register.js'
export {
  type EncodedBigNumber,
  type EncodedComplex,
  type EncodedDenseMatrix,
  type EncodedFraction,
  type EncodedSparseMatrix,
  type EncodedUnit,
  type MathInstance,
  type MathTypeName,
  mathTypeNames,
} from './types.js'
