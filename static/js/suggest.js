// Scoped suggestions for a text box: an <input data-suggest-url=... list=ID> asks the server
// (which answers only with rows in the user's scope) and fills its <datalist>. Without script
// the box still takes a number or a name typed in full.
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null, last = null;
    if (!list) return;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (!q || q === last) return;
        last = q;
        var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(q);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.results.map(function (row) {
              var option = document.createElement("option");
              option.value = row.value;
              option.label = row.label;
              option.textContent = row.label;
              return option;
            }));
          })
          .catch(function () {});
      }, 200);
    });
  }
  document.querySelectorAll("input[data-suggest-url]").forEach(attach);
})();
