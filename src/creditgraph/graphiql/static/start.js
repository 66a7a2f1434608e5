// Starts GraphiQL from the page's JSON data block. It is a file, not an inline
// script, so the page's Content Security Policy can allow scripts from this
// server only.
(function () {
  "use strict";

  var block = document.getElementById("graphiql-config");
  var tabs = JSON.parse(block.textContent).tabs;

  // GraphiQL's dialogs add a <style> element at run time, stamped with this
  // global's value: the per-response nonce the policy allows for styles.
  window.__webpack_nonce__ = block.dataset.styleNonce;

  var first = tabs[0] || {};
  var fetcher = GraphiQL.createFetcher({
    url: new URL("graphql", document.baseURI).href,
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: tabs.length ? tabs : undefined,
      // GraphiQL fills the editors from the first tab's query but not its
      // variables and headers: those it takes from these two.
      variables: first.variables,
      headers: first.headers,
      // Nothing kept in the browser: stored tabs would win over these (with
      // stale tokens after a restart), and tokens stay out of localStorage.
      storage: null,
    })
  );
})();
