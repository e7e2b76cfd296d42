import { createRouter, createWebHistory } from 'vue-router'
import { session, loadMe, isCityCaller } from './store'

const routes = [
  { path: '/login', component: () => import('./pages/LoginPage.vue'), meta: { title: '登录', public: true } },
  { path: '/', component: () => import('./pages/HomePage.vue'), meta: { title: '工作台' } },
  { path: '/activity-days', component: () => import('./pages/ActivityDaysPage.vue'), meta: { title: '集中活动日' } },
  { path: '/activity-days/:id', component: () => import('./pages/ActivityDayPage.vue'), meta: { title: '集中活动日' } },
  { path: '/topics', component: () => import('./pages/TopicsPage.vue'), meta: { title: '议题征集' } },
  { path: '/activities', component: () => import('./pages/ActivitiesPage.vue'), meta: { title: 'X活动' } },
  { path: '/items', component: () => import('./pages/ItemsPage.vue'), meta: { title: '督办清单' } },
  { path: '/items/:id', component: () => import('./pages/ItemPage.vue'), meta: { title: '督办事项' } },
  { path: '/notices', component: () => import('./pages/NoticesPage.vue'), meta: { title: '督办通知与约谈' } },
  { path: '/inspections', component: () => import('./pages/InspectionsPage.vue'), meta: { title: '督查' } },
  { path: '/bulletins', component: () => import('./pages/BulletinsPage.vue'), meta: { title: '周通报' } },
  { path: '/league', component: () => import('./pages/LeaguePage.vue'), meta: { title: '排名' } },
  { path: '/directory', component: () => import('./pages/DirectoryPage.vue'), meta: { title: '组织架构' } },
  { path: '/outcomes', component: () => import('./pages/OutcomesPage.vue'), meta: { title: '工作成效' } },
  { path: '/suggestions', component: () => import('./pages/SuggestionsPage.vue'), meta: { title: '意见建议' } },
  // The city level (a city token, no district): its own pages only.
  { path: '/city', component: () => import('./pages/CityPage.vue'), meta: { title: '市级总览', city: true } },
  { path: '/city/districts/:district', component: () => import('./pages/CityDistrictPage.vue'), meta: { title: '区工作成效', city: true } },
  { path: '/:rest(.*)*', component: () => import('./pages/NotFoundPage.vue'), meta: { title: '页面不存在' } },
]

export const router = createRouter({ history: createWebHistory('/'), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.me) {
    try {
      await loadMe()
    } catch (e) {
      return { path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
    }
  }
  // A city caller has no district pages; a district's people have no city pages.
  if (isCityCaller() !== Boolean(to.meta.city)) return isCityCaller() ? '/city' : '/'
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title || ''} · 4+X+1 社区党建工作台`
})
