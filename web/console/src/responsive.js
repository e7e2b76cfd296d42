// One breakpoint for the whole console: under it the menu is a drawer and forms put labels on top.
import { ref } from 'vue'

const query = window.matchMedia('(max-width: 768px)')
export const isMobile = ref(query.matches)
query.addEventListener('change', (e) => { isMobile.value = e.matches })
