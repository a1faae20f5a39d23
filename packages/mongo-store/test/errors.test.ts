import { CompManagerError, cmError } from '@comp-manager/core'
import {
  BSON,
  MongoClientClosedError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoServerError,
  MongoWriteConcernError,
} from 'mongodb'
import t from 'tap'
import { isFileNotFoundError } from '../src/errors.js'
import { isDuplicateKeyError, mapMongoError } from '../src/index.js'

const serverError = (code: number, message = `server error ${code}`, codeName?: string) =>
  new MongoServerError({ message, errmsg: message, code, ...(codeName ? { codeName } : {}), ok: 0 })

const mapped = (err: unknown) => mapMongoError(err, 'cache.set') as CompManagerError

t.test('duplicate key 11000 → CM_ERR_DUPLICATE (and detected as a lost race)', async (t) => {
  const err = serverError(
    11000,
    'E11000 duplicate key error collection: cm.computations index: cm_namespace_hash_attempt',
  )
  t.equal(isDuplicateKeyError(err), true)
  t.equal(isDuplicateKeyError(serverError(11001)), true, 'legacy code')
  t.equal(isDuplicateKeyError(serverError(2)), false)
  t.equal(isDuplicateKeyError(new Error('E11000')), false, 'not a driver error')
  const e = mapped(err)
  t.ok(e instanceof CompManagerError)
  t.equal(e.code, 'CM_ERR_DUPLICATE')
  t.equal(e.cause, err, 'cause kept')
  t.same(e.details, { driverError: 'MongoServerError', driverCode: 11000 })
  t.match(e.message, /^cache\.set: /)
})

t.test('a foreign driver copy (duck-typed by name and code) maps the same way', async (t) => {
  const foreign = Object.assign(new Error('E11000 duplicate key'), { name: 'MongoServerError', code: 11000 })
  t.equal(isDuplicateKeyError(foreign), true)
  t.equal(mapped(foreign).code, 'CM_ERR_DUPLICATE')
})

t.test('network and server selection errors → CM_ERR_STORE_UNAVAILABLE, cause kept', async (t) => {
  const network = new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed')
  const selection = Object.assign(new Error('Server selection timed out after 30000 ms'), {
    name: 'MongoServerSelectionError',
  })
  for (const err of [
    network,
    new MongoNetworkTimeoutError('timed out'),
    selection,
    new MongoClientClosedError(),
  ]) {
    const e = mapped(err)
    t.equal(e.code, 'CM_ERR_STORE_UNAVAILABLE', err.name)
    t.equal(e.statusCode, 503)
    t.equal(e.cause, err)
    t.match(e.message, /MongoDB is unavailable/)
  }
})

t.test('elections, shutdowns, retryable errors → CM_ERR_STORE_UNAVAILABLE', async (t) => {
  for (const code of [91, 189, 10107, 11600, 11602, 13435, 13436]) {
    t.equal(mapped(serverError(code)).code, 'CM_ERR_STORE_UNAVAILABLE', `code ${code}`)
  }
  const labelled = serverError(1, 'retry me')
  labelled.addErrorLabel('RetryableWriteError')
  t.equal(mapped(labelled).code, 'CM_ERR_STORE_UNAVAILABLE', 'RetryableWriteError label')
})

t.test(
  'a write applied but not confirmed by its write concern → CM_ERR_WRITE_UNCONFIRMED, not "unavailable"',
  async (t) => {
    const wc = new MongoWriteConcernError({
      writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' },
    } as never)
    const e = mapped(wc)
    t.equal(e.code, 'CM_ERR_WRITE_UNCONFIRMED')
    t.equal(e.statusCode, 504)
    t.match(e.message, /applied but its write concern was not confirmed/)
    t.equal(
      mapped(serverError(100, 'Not enough data-bearing nodes')).code,
      'CM_ERR_WRITE_UNCONFIRMED',
      'code 100',
    )
    const reply = Object.assign(serverError(1, 'wc'), { writeConcernError: { code: 64 } })
    t.equal(mapped(reply).code, 'CM_ERR_WRITE_UNCONFIRMED', 'a reply carrying writeConcernError')
  },
)

t.test('write conflicts → CM_ERR_CONFLICT (nothing written)', async (t) => {
  t.equal(mapped(serverError(112, 'WriteConflict', 'WriteConflict')).code, 'CM_ERR_CONFLICT')
  const transient = serverError(1, 'aborted')
  transient.addErrorLabel('TransientTransactionError')
  t.equal(mapped(transient).code, 'CM_ERR_CONFLICT')
})

t.test('requests refused as malformed → CM_ERR_INVALID_ARGUMENT, not a 503', async (t) => {
  for (const code of [2, 9, 14, 52, 121]) {
    const e = mapped(serverError(code, `refused ${code}`))
    t.equal(e.code, 'CM_ERR_INVALID_ARGUMENT', `code ${code}`)
    t.equal(e.statusCode, 400)
  }
  const driverSide = Object.assign(new Error('bad option'), { name: 'MongoInvalidArgumentError' })
  t.equal(mapped(driverSide).code, 'CM_ERR_INVALID_ARGUMENT', 'driver-side argument error')
  t.equal(mapped(new BSON.BSONError('cannot serialize a symbol')).code, 'CM_ERR_INVALID_ARGUMENT')
})

t.test('document too large → CM_ERR_VALUE_TOO_LARGE', async (t) => {
  t.equal(
    mapped(serverError(10334, 'object to insert too large', 'BSONObjectTooLarge')).code,
    'CM_ERR_VALUE_TOO_LARGE',
  )
  t.equal(
    mapped(serverError(17419, 'Resulting document after update is larger than 16777216')).code,
    'CM_ERR_VALUE_TOO_LARGE',
  )
  t.equal(mapped(serverError(2, 'object to insert too large')).code, 'CM_ERR_VALUE_TOO_LARGE')
  t.equal(
    mapped(new BSON.BSONError('Document is larger than the maximum size 16777216')).code,
    'CM_ERR_VALUE_TOO_LARGE',
  )
  t.equal(mapped(serverError(17419)).statusCode, 413)
})

t.test('maxTimeMS → CM_ERR_TIMEOUT', async (t) => {
  t.equal(mapped(serverError(50, 'operation exceeded time limit', 'MaxTimeMSExpired')).code, 'CM_ERR_TIMEOUT')
})

t.test(
  'any other driver error → CM_ERR_INTERNAL "refused", never a raw driver error nor a 503',
  async (t) => {
    const e = mapped(
      serverError(85, 'Index with name: cm_x already exists with different options', 'IndexOptionsConflict'),
    )
    t.equal(e.code, 'CM_ERR_INTERNAL')
    t.equal(e.statusCode, 500)
    t.match(e.message, /refused the operation/)
    t.same(e.details, { driverError: 'MongoServerError', driverCode: 85, codeName: 'IndexOptionsConflict' })
  },
)

t.test('comp-manager errors pass through; bugs are not disguised', async (t) => {
  const ours = cmError('CM_ERR_CONFLICT', 'lost')
  t.equal(mapMongoError(ours), ours)
  const bug = new TypeError('x is not a function')
  t.equal(mapMongoError(bug), bug)
  t.equal(mapMongoError('string'), 'string')
})

t.test('GridFS "file not found" is recognized', async (t) => {
  const download = Object.assign(new Error('FileNotFound: file 65f0 was not found'), {
    name: 'MongoRuntimeError',
    code: 'ENOENT',
  })
  const del = Object.assign(new Error('File not found for id 65f0'), { name: 'MongoRuntimeError' })
  t.equal(isFileNotFoundError(download), true)
  t.equal(isFileNotFoundError(del), true)
  t.equal(isFileNotFoundError(new MongoNetworkError('reset')), false)
})
