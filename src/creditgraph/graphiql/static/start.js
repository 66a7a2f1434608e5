// Starts GraphiQL from the page's JSON data block. It is a file, not an inline
// script, so the page's Content Security Policy can allow scripts from this
// server only.
(function () {
  "use strict";

  var block = document.getElementById("graphiql-config");
  var config = JSON.parse(block.textContent);

  // GraphiQL's dialogs add a <style> element at run time, stamped with this
  // global's value: the per-response nonce the policy allows for styles.
  window.__webpack_nonce__ = block.dataset.styleNonce;

  // GraphiQL prefers the tabs it stored to the ones it is given. Keying its
  // storage by the tabs' content means new tabs (fresh tokens) win.
  function namespaced(store, prefix) {
    function ownKeys() {
      var keys = [];
      for (var i = 0; i < store.length; i++) {
        var key = store.key(i);
        if (key !== null && key.indexOf(prefix) === 0) keys.push(key);
      }
      return keys;
    }
    return {
      getItem: function (key) { return store.getItem(prefix + key); },
      setItem: function (key, value) { store.setItem(prefix + key, value); },
      removeItem: function (key) { store.removeItem(prefix + key); },
      clear: function () { ownKeys().forEach(function (key) { store.removeItem(key); }); },
      get length() { return ownKeys().length; },
    };
  }

  var storage = null; // no storage at all when the browser refuses it
  try {
    storage = namespaced(window.localStorage, "creditgraph:" + config.storageNamespace + ":");
  } catch (refused) {
    storage = null;
  }

  var fetcher = GraphiQL.createFetcher({
    url: new URL("graphql", document.baseURI).href,
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: config.tabs,
      shouldPersistHeaders: true,
      storage: storage,
    })
  );
})();
