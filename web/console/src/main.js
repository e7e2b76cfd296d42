import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import * as Icons from '@element-plus/icons-vue'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import { router } from './router'
import { whenSignedOut, loadErrorCatalog, messageFor, errorCatalog } from './api'
import { session } from './store'

const app = createApp(App)
app.use(ElementPlus, { locale: zhCn })
for (const [name, comp] of Object.entries(Icons)) app.component(name, comp)
app.use(router)

// A 401 anywhere means the session is gone: back to the sign-in page.
whenSignedOut(() => {
  session.me = null
  if (router.currentRoute.value.path !== '/login') {
    router.push({ path: '/login', query: { next: router.currentRoute.value.fullPath } })
  }
})
loadErrorCatalog()
// For the browser tests of the error wording: what the console shows for an error body.
window.fourxConsole = { messageFor, errorCatalog, loadErrorCatalog }
app.mount('#app')
