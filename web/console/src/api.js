// The console's one way to the BFF: same-origin cookie session, the CSRF header on writes,
// and every failure turned into a Chinese sentence that says what to do.
import { ref } from 'vue'

export const WRITE_HEADER = { 'X-Requested-With': 'fourx-console' }
const HAN = /[\u4e00-\u9fff]/

// code → Chinese message, from GET /api/error-codes (loaded once; absent until the catalog exists).
export const errorCatalog = ref({})
let catalogLoad = null
// Either {code: message} or docs/error-codes.json's {codes: {code: {message}}}.
export function flattenCatalog(c) {
  const table = c && typeof c === 'object' ? (c.codes && typeof c.codes === 'object' ? c.codes : c) : {}
  const out = {}
  for (const [code, v] of Object.entries(table)) {
    const text = typeof v === 'string' ? v : v && v.message
    if (typeof text === 'string') out[code] = text
  }
  return out
}
export function loadErrorCatalog() {
  if (!catalogLoad) {
    catalogLoad = fetch('/api/error-codes', { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : {}))
      .then((c) => { errorCatalog.value = flattenCatalog(c) })
      .catch(() => { errorCatalog.value = {} })
  }
  return catalogLoad
}

const BY_STATUS = {
  400: '请求内容有误，请检查填写的内容后重试。',
  401: '登录已失效，请重新登录。',
  403: '您没有权限进行此操作；如需办理，请联系区委党建办。',
  404: '要找的内容不存在或已被删除，请返回列表刷新后再试。',
  409: '内容已被他人修改或当前状态不允许此操作，请刷新页面后再试。',
  413: '提交的内容过大，请精简后重试。',
  422: '填写的内容不符合要求，请检查后重试。',
  429: '操作过于频繁，请稍候再试。',
}
export const GENERIC = '操作未成功，请稍后重试；如果问题持续，请联系区委党建办。'
const NETWORK = '无法连接服务器，请检查网络后重试。'

function chinese(text) {
  return typeof text === 'string' && HAN.test(text) ? text : null
}

// The Chinese words of a `detail`: a sentence, {message, …facts}, or FastAPI's [{loc, msg}].
export function detailText(detail) {
  if (chinese(detail)) return detail
  if (Array.isArray(detail)) {
    const parts = detail.map((d) => chinese(d && d.msg)).filter(Boolean)
    return parts.length ? parts.join('；') : null
  }
  if (detail && typeof detail === 'object') return chinese(detail.message)
  return null
}

// The sentence the user reads for an error body: the catalog's by code, else a Chinese detail,
// else what the HTTP status means.
export function messageFor(body, status) {
  const code = body && body.code
  if (code && chinese(errorCatalog.value[code])) {
    const extra = detailText(body.detail)
    const base = errorCatalog.value[code]
    return extra && extra !== base && !base.includes(extra) ? `${base}（${extra}）` : base
  }
  return detailText(body && body.detail) || BY_STATUS[status] || GENERIC
}

export class ApiError extends Error {
  constructor(status, body, message) {
    super(message)
    this.status = status
    this.body = body
    this.code = body && body.code
    // Structured facts the page may show (e.g. what keeps an activity day from closing).
    this.facts = body && body.detail && typeof body.detail === 'object' && !Array.isArray(body.detail) ? body.detail : null
  }
}

let onSignedOut = () => {}
export function whenSignedOut(fn) { onSignedOut = fn }

export async function request(method, path, { body, query, raw } = {}) {
  const url = new URL(path, window.location.origin)
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v)
  }
  const headers = { Accept: raw ? '*/*' : 'application/json' }
  if (method !== 'GET' && method !== 'HEAD') Object.assign(headers, WRITE_HEADER)
  let payload
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    payload = body
    if (body.type) headers['Content-Type'] = body.type
  } else if (body !== undefined) {
    payload = JSON.stringify(body)
    headers['Content-Type'] = 'application/json'
  }
  let res
  try {
    res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' })
  } catch (e) {
    throw new ApiError(0, null, NETWORK)
  }
  if (!res.ok) {
    let data = null
    try { data = await res.json() } catch (e) { data = null }
    await loadErrorCatalog()
    const err = new ApiError(res.status, data, messageFor(data, res.status))
    if (res.status === 401) onSignedOut(err)
    throw err
  }
  if (raw) return res
  if (res.status === 204) return null
  const type = res.headers.get('content-type') || ''
  return type.includes('json') ? res.json() : res.text()
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body) => request('POST', path, { body: body === undefined ? {} : body }),
  put: (path, body) => request('PUT', path, { body }),
  raw: (path, query) => request('GET', path, { query, raw: true }),
}

// Save a download (xlsx, docx, md) that the BFF passes through, named as the service names it.
export async function download(path, query, fallbackName) {
  const res = await request('GET', path, { query, raw: true })
  const blob = await res.blob()
  const cd = res.headers.get('content-disposition') || ''
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) || /filename="?([^";]+)"?/i.exec(cd)
  const name = m ? decodeURIComponent(m[1]) : fallbackName
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
  return name
}

// Paths of the three services behind the BFF, for the signed-in person's district.
export const svc = {
  meetings: (d, p = '') => `/api/meetings/districts/${encodeURIComponent(d)}${p}`,
  issues: (d, p = '') => `/api/issues/districts/${encodeURIComponent(d)}${p}`,
  notify: (d, p = '') => `/api/notify/districts/${encodeURIComponent(d)}${p}`,
}
