// Who is signed in (GET /api/me) and the district's directory (names of units and people).
import { reactive } from 'vue'
import { api, svc } from './api'

export const session = reactive({ me: null, directory: null, loading: false })

export async function loadMe() {
  session.me = await api.get('/api/me')
  return session.me
}

export async function loadDirectory(force = false) {
  if (session.directory && !force) return session.directory
  session.directory = await api.get(svc.meetings(session.me.district, '/directory'))
  return session.directory
}

export function hasRole(...roles) {
  const mine = (session.me && session.me.roles) || []
  return roles.some((r) => mine.includes(r))
}

// A city-level caller (市委组织部): a city and no district; reads the city's figures only.
export const isCityCaller = () => Boolean(session.me && session.me.city && !session.me.district)

export const isOffice = () => hasRole('party_office', 'org_deputy_head')

// A unit's name from the directory; its id when the directory does not know it.
export function unitName(unit) {
  if (!unit) return '—'
  const d = session.directory
  if (!d) return unit.id
  const list = { street: d.streets, community: d.communities, department: d.departments }[unit.kind]
  const key = { street: 'street_id', community: 'community_id', department: 'department_id' }[unit.kind]
  if (unit.kind === 'district') return d.district_name || unit.id
  const found = (list || []).find((u) => u[key] === unit.id)
  return found ? found.name : unit.id
}

export function personName(personId) {
  if (!personId) return '—'
  const p = session.directory && session.directory.people.find((x) => x.person_id === personId)
  return p ? p.name : personId
}

export function streetOf(communityId) {
  const c = session.directory && session.directory.communities.find((x) => x.community_id === communityId)
  return c ? c.street_id : null
}

export async function signOut() {
  await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-Requested-With': 'fourx-console' } })
  session.me = null
  session.directory = null
}
