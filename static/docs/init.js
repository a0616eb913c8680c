// Starts the vendored Swagger UI on /api/docs; the settings come from a JSON block in the page
// (a script file, not inline code, so the Content-Security-Policy needs no exception).
const config = JSON.parse(document.getElementById("swagger-settings").textContent);
config.dom_id = "#swagger-ui";
config.presets = [window.SwaggerUIBundle.presets.apis];
window.ui = window.SwaggerUIBundle(config);
