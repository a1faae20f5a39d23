import type { Matrix } from 'mathjs'
import { malformed, unsupported } from './errors.js'
import { datatypeOf, indexArray, record } from './shape.js'
import type { EncodedDenseMatrix, EncodedSparseMatrix } from './types.js'

/** The constructors mathjs exposes on every full instance (`math.DenseMatrix`, `math.SparseMatrix`). */
export type MatrixClass = new (data: object) => Matrix

function copyRows(value: unknown): unknown {
  return Array.isArray(value) ? value.map(copyRows) : value
}

// ── DenseMatrix ─────────────────────────────────────────────────────────────────────────────────────

/** `{ size, data, datatype? }`, the rows copied (the encoded tree never aliases the matrix). */
export function encodeDense(m: Matrix): EncodedDenseMatrix {
  const size = m.size()
  const data = m.valueOf()
  if (!Array.isArray(size) || !Array.isArray(data))
    throw unsupported('mathjs.DenseMatrix', 'size() and valueOf() must be arrays')
  const out: EncodedDenseMatrix = { size: [...size], data: copyRows(data) as unknown[] }
  const datatype = m.datatype()
  if (typeof datatype === 'string') out.datatype = datatype
  return out
}

/**
 * Checks that `data` has exactly the shape `size` (arrays down to the last dimension, no array as an
 * entry) and returns a copy of its rows. A zero length ends the check: `[0, 3]` holds `[]`.
 */
function shapedCopy(data: unknown, size: readonly number[], dim: number, path: string): unknown[] {
  const length = size[dim]!
  if (!Array.isArray(data) || data.length !== length) {
    throw malformed(
      'mathjs.DenseMatrix',
      `data${path} must be an array of ${length} (size is [${size.join(', ')}])`,
    )
  }
  const out = new Array<unknown>(length)
  const last = dim === size.length - 1
  for (let i = 0; i < length; i++) {
    const item = data[i]
    if (last) {
      if (Array.isArray(item)) {
        throw malformed(
          'mathjs.DenseMatrix',
          `data${path}[${i}] is an array, deeper than size [${size.join(', ')}]`,
        )
      }
      out[i] = item
    } else {
      out[i] = shapedCopy(item, size, dim + 1, `${path}[${i}]`)
    }
  }
  return out
}

export function decodeDense(DenseMatrix: MatrixClass, value: unknown): Matrix {
  const obj = record('mathjs.DenseMatrix', value, ['size', 'data'], ['datatype'])
  const size = indexArray('mathjs.DenseMatrix', obj.size, 'size')
  if (size.length === 0) throw malformed('mathjs.DenseMatrix', 'size must have at least one dimension')
  const data = shapedCopy(obj.data, size, 0, '')
  const datatype = datatypeOf('mathjs.DenseMatrix', obj)
  return new DenseMatrix(datatype === undefined ? { data, size } : { data, size, datatype })
}

// ── SparseMatrix ────────────────────────────────────────────────────────────────────────────────────

interface Csc {
  values: unknown[] | undefined
  index: number[]
  ptr: number[]
}

/**
 * Validates compressed sparse columns and puts the rows of each column in increasing order (the
 * canonical order; mathjs keeps it almost always, so sorting is rare). Inputs are not modified.
 */
function canonicalCsc(
  fail: (message: string) => never,
  rows: number,
  cols: number,
  values: unknown[] | undefined,
  index: readonly number[],
  ptr: readonly number[],
): Csc {
  const nnz = index.length
  if (ptr.length !== cols + 1) fail(`ptr must have columns + 1 = ${cols + 1} entries`)
  if (ptr[0] !== 0 || ptr[cols] !== nnz)
    fail(`ptr must start at 0 and end at the number of stored entries (${nnz})`)
  if (values !== undefined && values.length !== nnz) fail(`values and index must have the same length`)
  const outIndex = index.slice()
  const outValues = values?.slice()
  for (let j = 0; j < cols; j++) {
    const start = ptr[j]!
    const end = ptr[j + 1]!
    if (end < start) fail(`ptr must not decrease (column ${j})`)
    let sorted = true
    for (let k = start; k < end; k++) {
      const row = index[k]!
      if (row >= rows) fail(`row index ${row} is out of range for ${rows} rows (column ${j})`)
      if (k > start && row <= index[k - 1]!) sorted = false
    }
    if (sorted) continue
    const order: number[] = []
    for (let k = start; k < end; k++) order.push(k)
    order.sort((a, b) => index[a]! - index[b]!)
    for (let i = 0; i < order.length; i++) {
      const k = order[i]!
      if (i > 0 && index[k] === index[order[i - 1]!]) fail(`row ${index[k]} is stored twice in column ${j}`)
      outIndex[start + i] = index[k]!
      if (outValues !== undefined) outValues[start + i] = values![k]
    }
  }
  return { values: outValues, index: outIndex, ptr: ptr.slice() }
}

interface SparseJSON {
  values?: unknown
  index?: unknown
  ptr?: unknown
  size?: unknown
  datatype?: unknown
}

/** `{ size, ptr, index, values?, datatype? }` in canonical order (see `canonicalCsc`). */
export function encodeSparse(m: Matrix): EncodedSparseMatrix {
  const fail = (message: string): never => {
    throw unsupported('mathjs.SparseMatrix', message)
  }
  // `toJSON()` is mathjs's public view of the CSC arrays (it returns them without copying).
  const json = m.toJSON() as SparseJSON
  const { values, index, ptr, size } = json
  if (!Array.isArray(size) || size.length !== 2 || !Array.isArray(index) || !Array.isArray(ptr)) {
    return fail('toJSON() must give size [rows, columns], index and ptr arrays')
  }
  if (values !== undefined && !Array.isArray(values)) return fail('toJSON().values must be an array')
  const [rows, cols] = size as [number, number]
  const csc = canonicalCsc(
    fail,
    rows,
    cols,
    values as unknown[] | undefined,
    index as number[],
    ptr as number[],
  )
  const out: EncodedSparseMatrix = { size: [rows, cols], ptr: csc.ptr, index: csc.index }
  if (csc.values !== undefined) out.values = csc.values
  if (typeof json.datatype === 'string') out.datatype = json.datatype
  return out
}

export function decodeSparse(SparseMatrix: MatrixClass, value: unknown): Matrix {
  const fail = (message: string): never => {
    throw malformed('mathjs.SparseMatrix', message)
  }
  const obj = record('mathjs.SparseMatrix', value, ['size', 'ptr', 'index'], ['values', 'datatype'])
  const size = indexArray('mathjs.SparseMatrix', obj.size, 'size')
  if (size.length !== 2) fail('size must be [rows, columns]')
  const index = indexArray('mathjs.SparseMatrix', obj.index, 'index')
  const ptr = indexArray('mathjs.SparseMatrix', obj.ptr, 'ptr')
  const values = obj.values
  if (values !== undefined && !Array.isArray(values)) fail('values must be an array')
  if (Array.isArray(values) && values.some(Array.isArray)) fail('an entry of values is an array')
  const [rows, cols] = size as [number, number]
  const csc = canonicalCsc(fail, rows, cols, values as unknown[] | undefined, index, ptr)
  const datatype = datatypeOf('mathjs.SparseMatrix', obj)
  const data: SparseJSON = { values: csc.values, index: csc.index, ptr: csc.ptr, size: [rows, cols] }
  if (datatype !== undefined) data.datatype = datatype
  return new SparseMatrix(data)
}
