// The side menu: each page for the roles that do its work (ANY = every person of the district).
const ANY = null
const OFFICE = ['party_office', 'org_deputy_head']
const BULLETIN_READERS = ['street_secretary', 'street_deputy_secretary', 'street_org_member', 'dept_main_leader',
  'dept_responsible_leader', 'dept_section_chief', 'party_office', 'org_deputy_head']

export const MENU = [
  { path: '/', title: '工作台', icon: 'HomeFilled', roles: ANY },
  { path: '/activity-days', title: '集中活动日', icon: 'Calendar', roles: ANY },
  { path: '/topics', title: '议题征集', icon: 'ChatLineSquare', roles: ANY },
  { path: '/activities', title: 'X活动', icon: 'Promotion', roles: ANY },
  { path: '/items', title: '督办清单', icon: 'List', roles: ANY },
  { path: '/notices', title: '督办通知与约谈', icon: 'Bell', roles: ANY },
  { path: '/inspections', title: '督查', icon: 'View', roles: OFFICE },
  { path: '/bulletins', title: '周通报', icon: 'Document', roles: BULLETIN_READERS },
  { path: '/league', title: '排名', icon: 'TrendCharts', roles: ANY },
  { path: '/directory', title: '组织架构', icon: 'OfficeBuilding', roles: ANY },
  { path: '/outcomes', title: '工作成效', icon: 'DataLine', roles: OFFICE },
  { path: '/suggestions', title: '意见建议', icon: 'EditPen', roles: ANY },
]

// A city caller's menu: the city level only, no district page.
export const CITY_MENU = [{ path: '/city', title: '市级总览', icon: 'DataAnalysis' }]

export function menuFor(roles) {
  return MENU.filter((m) => m.roles === ANY || m.roles.some((r) => roles.includes(r)))
}
