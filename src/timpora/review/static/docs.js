// Starts Swagger UI on the app's own OpenAPI document (the page allows no inline script).
window.addEventListener("load", function () {
  var target = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: target.dataset.openapi, dom_id: "#swagger-ui" });
});
