import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The dev server sends the BFF's paths to the portal; everything else is the app.
const portal = process.env.PORTAL_URL || 'http://127.0.0.1:8100'

export default defineConfig({
  plugins: [vue()],
  server: {
    proxy: {
      '/api': { target: portal, changeOrigin: false },
      '/auth': { target: portal, changeOrigin: false },
      // `/login?as=…` signs in at the portal; bare `/login` is the app's picker page.
      '/login': {
        target: portal,
        changeOrigin: false,
        bypass: (req) => (new URL(req.url, 'http://x').searchParams.has('as') ? undefined : '/index.html'),
      },
    },
  },
  build: { chunkSizeWarningLimit: 2000 },
})
