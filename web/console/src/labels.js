// Chinese labels, from fourx_contracts.vocabulary (src/vocabulary.json is generated from it).
import vocabulary from './vocabulary.json'

export const V = vocabulary
const pick = (table, key) => (key == null ? '—' : table[key] || key)

export const roleLabel = (r) => pick(V.roles, r)
export const unitKindLabel = (k) => pick(V.unit_kinds, k)
export const statusLabel = (s) => pick(V.item_statuses, s)
export const reportedStatusLabel = (s) => pick(V.reported_statuses, s)
export const lightLabel = (l) => (l ? pick(V.lights, l) : V.no_light)
export const lightReasonLabel = (r) => pick(V.light_reasons, r)
export const activityLabel = (k) => pick(V.activities, k)
export const inspectionLabel = (k) => pick(V.inspections, k)
export const sourceLabel = (k) => pick(V.sources, k)
export const DAY_STATUS = { scheduled: '待召开', held: '已召开' }
export const dayStatusLabel = (s) => pick(DAY_STATUS, s)
export const LIGHT_TAG = { red: 'danger', yellow: 'warning', blue: 'primary', green: 'success' }

// ISO week (e.g. 2026-W48) of a date.
export function isoWeek(d = new Date()) {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()))
  const day = t.getUTCDay() || 7
  t.setUTCDate(t.getUTCDate() + 4 - day)
  const y = t.getUTCFullYear()
  const w = Math.ceil(((t - Date.UTC(y, 0, 1)) / 86400000 + 1) / 7)
  return `${y}-W${String(w).padStart(2, '0')}`
}

export function weeksBefore(week, n) {
  const [y, w] = week.split('-W').map(Number)
  // Monday of ISO week w of year y.
  const jan4 = new Date(Date.UTC(y, 0, 4))
  const monday = new Date(jan4)
  monday.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() || 7) - 1) + (w - 1) * 7)
  const out = []
  for (let i = 0; i < n; i++) {
    const d = new Date(monday)
    d.setUTCDate(monday.getUTCDate() - 7 * i)
    out.push(isoWeek(new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())))
  }
  return out
}

export const weekLabel = (w) => (w ? w.replace(/^(\d{4})-W(\d{2})$/, '$1 年第 $2 周') : '—')
export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : '—')
