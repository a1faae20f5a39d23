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

t.test('elections, shutdowns, write concern failures → CM_ERR_STORE_UNAVAILABLE', async (t) => {
  for (const code of [91, 189, 10107, 11600, 11602, 13435, 13436]) {
    t.equal(mapped(serverError(code)).code, 'CM_ERR_STORE_UNAVAILABLE', `code ${code}`)
  }
  const wc = new MongoWriteConcernError({
    writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' },
  } as never)
  t.equal(mapped(wc).code, 'CM_ERR_STORE_UNAVAILABLE')
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

t.test('any other driver error → CM_ERR_STORE_UNAVAILABLE "refused", never a raw driver error', async (t) => {
  const e = mapped(
    serverError(85, 'Index with name: cm_x already exists with different options', 'IndexOptionsConflict'),
  )
  t.equal(e.code, 'CM_ERR_STORE_UNAVAILABLE')
  t.match(e.message, /refused the operation/)
  t.same(e.details, { driverError: 'MongoServerError', driverCode: 85, codeName: 'IndexOptionsConflict' })
})

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
