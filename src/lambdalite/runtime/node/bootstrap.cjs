'use strict';
// lambdalite's Node.js runtime (nodejs20.x, nodejs22.x, nodejs24.x): the contract of AWS's
// Node.js runtime over the Lambda Runtime API, with Node's built-ins only. It loads
// _HANDLER (CommonJS or ES module), then loops: GET invocation/next, run the handler,
// POST its response or error. Written for lambdalite; see sandbox/runtime_api/node.py.

// Only what every cold start needs is loaded up front: http, stream and url (streamed
// responses, ES modules) are required when first used.
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const BASE = '/2018-06-01/runtime/';
const [API_HOST, API_PORT] = API.split(':');
// Streamed responses use Node's http client (chunked bodies, trailers) on a connection of
// their own, kept alive (an idle socket does not hold the event loop open).
let agent = null;
const RUNTIME = (process.env.AWS_EXECUTION_ENV || '').replace('AWS_Lambda_', '');
const CALLBACKS_REMOVED = /^nodejs(\d+)/.test(RUNTIME) && Number(RUNTIME.slice(6).split('.')[0]) >= 24;

let currentId; // the request id being served, for log lines and late errors
let currentTenant;

// -- logging: console.* as AWS's runtime formats it ------------------------------------------

const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
const JSON_FORMAT = process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON';
const MIN_LEVEL = JSON_FORMAT ? LEVELS[(process.env.AWS_LAMBDA_LOG_LEVEL || 'INFO').toUpperCase()] || 3 : 0;

function errorFields(err) {
  const own = err instanceof RuntimeError || err instanceof UnhandledPromiseRejection;
  return {
    errorType: (own ? err.name : err.constructor && err.constructor.name) || 'UnknownError',
    errorMessage: err.message,
    stackTrace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
  };
}

function jsonReplacer(_key, value) {
  if (value instanceof Error) return Object.assign(errorFields(value), value);
  return value;
}

function jsonRecord(level, args) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentId };
  if (currentTenant) record.tenantId = currentTenant;
  if (args.length === 1 && !(args[0] instanceof Error)) {
    record.message = args[0];
    try {
      return JSON.stringify(record, jsonReplacer);
    } catch (_) {
      record.message = util.format(args[0]); // a cycle: fall back to its text
      return JSON.stringify(record);
    }
  }
  record.message = util.format(...args);
  const err = args.find((a) => a instanceof Error);
  if (err !== undefined) Object.assign(record, errorFields(err));
  return JSON.stringify(record, jsonReplacer);
}

function writeLine(level, args) {
  let line;
  if (JSON_FORMAT) {
    line = jsonRecord(level, args);
  } else {
    // One CloudWatch event per call: the message's own newlines become carriage returns.
    const message = util.format(...args).replace(/\n/g, '\r');
    line = `${new Date().toISOString()}\t${currentId}\t${level}\t${message}`;
  }
  process.stdout.write(line + '\n');
}

function patchConsole() {
  const make = (level) => {
    if (LEVELS[level] < MIN_LEVEL) return () => {};
    return (...args) => writeLine(level, args);
  };
  console.trace = make('TRACE');
  console.debug = make('DEBUG');
  console.info = make('INFO');
  console.log = console.info;
  console.warn = make('WARN');
  console.error = make('ERROR');
  console.fatal = make('FATAL');
}

// -- errors as AWS renders them --------------------------------------------------------------

class RuntimeError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
    this.name = 'Runtime.UnhandledPromiseRejection';
    this.reason = reason;
    this.promise = promise;
  }
}

function isErrorLike(err) {
  return util.types.isNativeError(err) || (err && typeof err === 'object' && typeof err.stack === 'string' && 'message' in err);
}

/** The error document posted to the Runtime API (and so returned to the caller). */
function errorDocument(err) {
  try {
    if (isErrorLike(err)) {
      return { errorType: err.name, errorMessage: err.message, trace: String(err.stack).split('\n') };
    }
    return { errorType: typeof err, errorMessage: String(err), trace: [] };
  } catch (_) {
    return { errorType: 'handled', errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack' };
  }
}

/** How the runtime logs an error: in Text, the label then a tab and the error as JSON with
 * its own enumerable fields; in JSON, a record with errorType, errorMessage, stackTrace. */
function logError(label, err) {
  if (LEVELS.ERROR < MIN_LEVEL) return;
  if (!JSON_FORMAT) {
    writeLine('ERROR', [label, formatted(err)]);
    return;
  }
  const record = { timestamp: new Date().toISOString(), level: 'ERROR', requestId: currentId, message: label };
  if (isErrorLike(err)) Object.assign(record, errorFields(err));
  else Object.assign(record, { errorType: typeof err, errorMessage: String(err), stackTrace: [] });
  process.stdout.write(JSON.stringify(record) + '\n');
}

/** The error as JSON with its own enumerable fields (Text format). */
function formatted(err) {
  const replace = (_key, value) => {
    if (!isErrorLike(value)) return value;
    const out = { errorType: value.name, errorMessage: value.message };
    for (const [k, v] of Object.entries(value)) out[k] = v;
    out.stack = String(value.stack).split('\n');
    return out;
  };
  try {
    return '\t' + JSON.stringify(err, replace);
  } catch (_) {
    return '\t' + JSON.stringify(errorDocument(err));
  }
}

// -- the Runtime API ---------------------------------------------------------------------------

// The hot path's calls go over one raw keep-alive connection: the API answers each call
// in order with a Content-Length body, so a few lines of parsing replace http.request's
// per-call objects and streams (about half of a warm invoke's time in Node).
class ApiConnection {
  constructor() {
    this.socket = null;
    this.data = Buffer.alloc(0);
    this.waiting = []; // [resolve, reject] per call, in request order
  }

  _connect() {
    const socket = net.connect({ host: API_HOST, port: Number(API_PORT) });
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this._received(chunk));
    const lost = (err) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.data = Buffer.alloc(0);
      const waiting = this.waiting;
      this.waiting = [];
      for (const [, reject] of waiting) reject(err || new Error('Runtime API connection closed'));
    };
    socket.on('error', lost);
    socket.on('close', () => lost(null));
    this.socket = socket;
    return socket;
  }

  request(method, route, body, headers) {
    const socket = this.socket || this._connect();
    let head = `${method} ${BASE}${route} HTTP/1.1\r\nHost: ${API}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    head += `Content-Length: ${body ? body.length : 0}\r\n\r\n`;
    socket.write(body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : head);
    socket.ref(); // a call in flight keeps the process alive; an idle connection does not
    return new Promise((resolve, reject) => this.waiting.push([resolve, reject]));
  }

  _received(chunk) {
    this.data = this.data.length ? Buffer.concat([this.data, chunk]) : chunk;
    while (this.waiting.length) {
      const end = this.data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.data.toString('latin1', 0, end).split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers = {};
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i].indexOf(':');
        headers[lines[i].slice(0, colon).toLowerCase()] = lines[i].slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] || 0);
      if (this.data.length < end + 4 + length) return;
      const body = this.data.subarray(end + 4, end + 4 + length);
      this.data = this.data.subarray(end + 4 + length);
      this.waiting.shift()[0]({ status, headers, body });
    }
    if (!this.waiting.length && this.socket) this.socket.unref(); // let 'beforeExit' come
  }
}

const api = new ApiConnection();

function call(method, route, body, headers) {
  return api.request(method, route, body, headers);
}

function postJson(route, payload, extra) {
  const body = Buffer.from(payload);
  return call('POST', route, body, { 'Content-Type': 'application/json', ...extra });
}

function postError(route, err) {
  const doc = errorDocument(err);
  let payload;
  try {
    payload = JSON.stringify(doc);
  } catch (_) {
    payload = JSON.stringify({ errorType: String(doc.errorType), errorMessage: String(doc.errorMessage), trace: [] });
  }
  const type = String(doc.errorType).replace(/[^\x20-\x7e]/g, '');
  return postJson(route, payload, { 'Lambda-Runtime-Function-Error-Type': type });
}

// -- loading the handler (AWS's rules: file.export, .js/.mjs/.cjs, node_modules) --------------

function typeModule(dir, root) {
  for (let d = dir; ; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        return JSON.parse(fs.readFileSync(pkg, 'utf8')).type === 'module';
      } catch (_) {
        return false;
      }
    }
    if (d === root || d === path.dirname(d)) return false;
  }
}

function importFile(file) {
  return import(require('node:url').pathToFileURL(file).href);
}

async function loadFile(file, esm) {
  if (esm) return importFile(file);
  try {
    return require(file);
  } catch (err) {
    if (err && err.code === 'ERR_REQUIRE_ESM') return importFile(file);
    throw err;
  }
}

async function loadModule(root, moduleRoot, name) {
  const base = path.resolve(root, moduleRoot, name);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = base + ext;
    if (fs.existsSync(file)) {
      const esm = ext === '.mjs' || (ext === '.js' && typeModule(path.dirname(file), root));
      return loadFile(file, esm);
    }
  }
  let resolved;
  try {
    resolved = require.resolve(name, { paths: [root, path.resolve(root, moduleRoot)] });
  } catch (_) {
    throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${name}'\nRequire stack:\n- ${__filename}`);
  }
  return loadFile(resolved, resolved.endsWith('.mjs'));
}

function classify(err) {
  if (err instanceof RuntimeError) return err;
  if (err instanceof SyntaxError) {
    const wrapped = new RuntimeError('Runtime.UserCodeSyntaxError', `${err.name}: ${err.message}`);
    wrapped.stack = `${wrapped.name}: ${wrapped.message}\n${String(err.stack).split('\n').slice(1).join('\n')}`;
    return wrapped;
  }
  if (err && (err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_MODULE_NOT_FOUND')) {
    const wrapped = new RuntimeError('Runtime.ImportModuleError', `${err.name}: ${err.message}`);
    wrapped.stack = `${wrapped.name}: ${wrapped.message}\n${String(err.stack).split('\n').slice(1).join('\n')}`;
    return wrapped;
  }
  return err; // thrown by the module's own init code: reported as it is
}

async function loadHandler(root, handlerString) {
  const base = path.basename(handlerString);
  const moduleRoot = handlerString.slice(0, handlerString.length - base.length);
  const match = /^([^.]*)\.(.*)$/.exec(base);
  if (!match) throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  const [, name, exportPath] = match;
  let mod;
  try {
    mod = await loadModule(root, moduleRoot, name);
  } catch (err) {
    throw classify(err);
  }
  let fn = mod;
  for (const part of exportPath.split('.')) fn = fn == null ? undefined : fn[part];
  if (fn === undefined || fn === null) {
    throw new RuntimeError('Runtime.HandlerNotFound', `${handlerString} is undefined or not exported`);
  }
  if (typeof fn !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${handlerString} is not a function`);
  }
  if (CALLBACKS_REMOVED && fn.length >= 3 && !fn[STREAMING]) {
    throw new RuntimeError(
      'Runtime.CallbackHandlerDeprecated',
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later.',
    );
  }
  return fn;
}

// -- response streaming (awslambda.streamifyResponse) ------------------------------------------

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_END = Buffer.alloc(8); // eight NUL bytes end the metadata prelude

let StreamClass = null;

function responseStream(requestId) {
  StreamClass = StreamClass || makeResponseStream();
  return new StreamClass(requestId);
}

function makeResponseStream() {
  class ResponseStream extends require('node:stream').Writable {
    constructor(requestId) {
      super();
      this._requestId = requestId;
      this._contentType = 'application/octet-stream';
      this._req = null;
      this.answer = null; // the Runtime API's reply, once the stream is over
    }

    setContentType(type) {
      if (this._req) throw new Error('Content type cannot be set after the first write');
      this._contentType = type;
    }

    _open() {
      if (this._req) return this._req;
      this.answer = new Promise((resolve, reject) => {
        const http = require('node:http');
        agent = agent || new http.Agent({ keepAlive: true, maxSockets: 1 });
        this._req = http.request(
          {
            host: API_HOST, port: API_PORT, method: 'POST', agent,
            path: `${BASE}invocation/${this._requestId}/response`,
            headers: {
              'Content-Type': this._contentType,
              'Lambda-Runtime-Function-Response-Mode': 'streaming',
              'Transfer-Encoding': 'chunked',
              Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
            },
          },
          (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); },
        );
        this._req.on('error', reject);
      });
      return this._req;
    }

    _write(chunk, encoding, done) {
      this._open().write(chunk, encoding, done);
    }

    _final(done) {
      this._open().end(done);
    }

    /** Ends the body with the error in its trailers (AWS's mid-stream failure). */
    fail(err) {
      const req = this._open();
      const doc = errorDocument(err);
      req.addTrailers({
        'Lambda-Runtime-Function-Error-Type': String(doc.errorType),
        'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(doc)).toString('base64'),
      });
      req.end();
    }
  }
  return ResponseStream;
}

const awslambda = {
  streamifyResponse(handler) {
    handler[STREAMING] = 'response';
    return handler;
  },
  HttpResponseStream: {
    from(stream, prelude) {
      stream.setContentType(HTTP_INTEGRATION);
      stream.write(Buffer.concat([Buffer.from(JSON.stringify(prelude || {})), PRELUDE_END]));
      return stream;
    },
  },
};
globalThis.awslambda = awslambda;

// -- one invocation ------------------------------------------------------------------------------

function contextFor(headers, requestId) {
  const env = process.env;
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const identity = headers['lambda-runtime-cognito-identity'];
  const client = headers['lambda-runtime-client-context'];
  return {
    callbackWaitsForEmptyEventLoop: true,
    awsRequestId: requestId,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: identity ? JSON.parse(identity) : undefined,
    clientContext: client ? JSON.parse(client) : undefined,
    tenantId: headers['lambda-runtime-aws-tenant-id'],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

// What runs when the event loop has nothing left to do ('beforeExit'): a waiting callback's
// answer, or the null answer of a handler that returned without answering, as AWS does.
let onDrained = null;
process.on('beforeExit', () => {
  if (onDrained) onDrained();
});

/** Runs the handler; resolves once its answer is posted. */
function invoke(handler, event, context, requestId) {
  return new Promise((resolve) => {
    let answered = false;
    const answer = (err, result) => {
      if (answered) return;
      answered = true;
      onDrained = null;
      let sent;
      if (err !== undefined && err !== null) {
        logError('Invoke Error', err);
        sent = postError(`invocation/${requestId}/error`, err);
      } else {
        let body;
        try {
          body = JSON.stringify(result === undefined ? null : result);
        } catch (e) {
          const marshal = new RuntimeError('Runtime.MarshalError', `Unable to stringify response body as json: ${e.message}`);
          logError('Invoke Error', marshal);
          sent = postError(`invocation/${requestId}/error`, marshal);
        }
        if (body !== undefined) sent = postJson(`invocation/${requestId}/response`, body);
      }
      sent.then(resolve, fatal);
    };
    onDrained = () => answer(null, undefined);
    const callback = (err, result) => {
      if (answered) return;
      if (context.callbackWaitsForEmptyEventLoop) onDrained = () => answer(err, result);
      else answer(err, result);
    };
    context.done = (err, result) => answer(err, result);
    context.succeed = (result) => answer(null, result);
    context.fail = (err) => answer(err === undefined || err === null ? 'handled' : err);
    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (err) {
      answer(err);
      return;
    }
    if (returned && typeof returned.then === 'function') {
      returned.then((r) => answer(null, r), (e) => answer(e === undefined || e === null ? 'handled' : e));
    }
  });
}

function invokeStreaming(handler, event, context, requestId) {
  const stream = responseStream(requestId);
  return new Promise((resolve) => {
    let failed = false;
    const fail = (err) => {
      if (failed) return;
      failed = true;
      logError('Invoke Error', err);
      if (stream._req) {
        stream.fail(err);
        stream.answer.then(resolve, fatal);
      } else {
        postError(`invocation/${requestId}/error`, err).then(resolve, fatal);
      }
    };
    stream.on('error', fail);
    stream.on('finish', () => {
      if (!failed) stream.answer.then(resolve, fatal);
    });
    let returned;
    try {
      returned = handler(event, stream, context);
    } catch (err) {
      fail(err);
      return;
    }
    Promise.resolve(returned).catch(fail);
  });
}

async function loop(handler) {
  for (;;) {
    const next = await call('GET', 'invocation/next');
    if (next.status !== 200) throw new Error(`invocation/next answered ${next.status}: ${next.body}`);
    const headers = next.headers;
    const requestId = headers['lambda-runtime-aws-request-id'];
    currentId = requestId;
    currentTenant = headers['lambda-runtime-aws-tenant-id'];
    const trace = headers['lambda-runtime-trace-id'];
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;
    let event;
    let context;
    try {
      event = JSON.parse(next.body.toString('utf8'));
      context = contextFor(headers, requestId);
    } catch (err) {
      const bad = new RuntimeError('Runtime.UnmarshalError', `Unable to parse event: ${err.message}`);
      await postError(`invocation/${requestId}/error`, bad);
      continue;
    }
    if (handler[STREAMING]) await invokeStreaming(handler, event, context, requestId);
    else await invoke(handler, event, context, requestId);
  }
}

function fatal(err) {
  process.stderr.write(`lambdalite node bootstrap: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
}

// An error nobody catches ends the environment, reported as AWS reports it.
function lastWords(label, err, code) {
  logError(label, err);
  const route = currentId ? `invocation/${currentId}/error` : 'init/error';
  postError(route, err).then(() => process.exit(code), () => process.exit(code));
}

async function main() {
  patchConsole();
  process.on('uncaughtException', (err) => lastWords('Uncaught Exception', err, 129));
  process.on('unhandledRejection', (reason, promise) => {
    lastWords('Unhandled Promise Rejection', new UnhandledPromiseRejection(reason, promise), 128);
  });
  let handler;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT || process.cwd(), process.env._HANDLER || '');
  } catch (err) {
    lastWords(err instanceof RuntimeError ? 'Init Error' : 'Uncaught Exception', err, 129);
    return;
  }
  await loop(handler);
}

main().catch(fatal);
