import { ElMessage } from 'element-plus'
// Shared look-ups of the pages: which items are "mine", the current activity day, all items.
import { api, svc } from './api'
import { session, hasRole } from './store'

// The list filter that means "my unit's items" for the signed-in person (none for the offices).
export function myItemsQuery() {
  const me = session.me
  const unit = me && me.unit
  if (!unit || hasRole('party_office', 'org_deputy_head')) return {}
  if (unit.kind === 'community') return { community: unit.id }
  if (unit.kind === 'street') return { street: unit.id }
  if (unit.kind === 'department') return { unit_kind: 'department', unit_id: unit.id }
  return {}
}

// Every item matching `query` (the list pages through at most 200 at a time).
export async function allItems(query = {}) {
  const d = session.me.district
  const out = []
  for (let offset = 0; offset < 5000; offset += 200) {
    const page = await api.get(svc.issues(d, '/issues'), { ...query, limit: 200, offset })
    out.push(...page.items)
    if (page.next_offset == null) break
  }
  return out
}

export async function allActivityDays() {
  const d = session.me.district
  const out = []
  for (let offset = 0; offset < 2000; offset += 200) {
    const page = await api.get(svc.meetings(d, '/activity-days'), { limit: 200, offset })
    out.push(...page)
    if (page.length < 200) break
  }
  return out
}

// The day people work towards: the first not yet held, else the latest.
export function currentDay(days) {
  const sorted = [...days].sort((a, b) => a.date.localeCompare(b.date))
  return sorted.find((d) => d.status !== 'held') || sorted[sorted.length - 1] || null
}

// A page's action: run it, say so, reload the page's data; on a refusal show its Chinese message.
// True when it went through (a dialog closes only then).
export async function act(fn, ok, reload) {
  try {
    await fn()
    ElMessage.success(ok)
    await reload()
    return true
  } catch (e) {
    ElMessage.error(e.message)
    return false
  }
}
