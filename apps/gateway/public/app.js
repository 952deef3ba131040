/* global sessionStorage, atob */
// orderflow storefront: plain JS. The live-status part follows docs/live-status.md:
// snapshot on (re)connect, dedupe by version, re-fetch the snapshot on a version gap.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const FAILED = ['REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];
  const orders = new Map(); // orderId -> { version, status, history: [{status, version, at, reason}] }
  let token = sessionStorage.getItem('orderflow.token');
  let socket;

  function say(text, isError) {
    $('message').textContent = text;
    $('message').className = isError ? 'error' : '';
  }

  async function api(path, options) {
    const res = await fetch(path, {
      ...options,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) },
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.detail || body.title || res.statusText);
    return body;
  }

  function signedIn(newToken) {
    token = newToken;
    sessionStorage.setItem('orderflow.token', token);
    const sub = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub;
    $('who').textContent = 'Signed in as ' + sub;
    connect();
  }

  // --- live status over Socket.IO ---
  function connect() {
    if (socket) socket.disconnect();
    orders.clear();
    render();
    socket = io('/orders', { auth: { token } });
    socket.on('connect', () => {
      $('connection').textContent = 'live';
      $('connection').className = 'pill online';
      // A recovered connection got what it missed; otherwise re-read every watched order.
      if (!socket.recovered) for (const orderId of orders.keys()) subscribe(orderId);
    });
    socket.on('disconnect', () => {
      $('connection').textContent = 'reconnecting';
      $('connection').className = 'pill';
    });
    socket.on('connect_error', (err) => {
      $('connection').textContent = 'offline';
      if (err.message === 'unauthorized') say('Your sign-in was refused: sign in again.', true);
    });
    socket.on('order.status', applyChange);
  }

  function subscribe(orderId) {
    socket.emit('order.subscribe', { orderId }, (ack) => {
      if (ack && ack.ok) applySnapshot(ack.order);
      else if (ack && ack.error === 'not_found') setTimeout(() => subscribe(orderId), 500); // not projected yet
    });
  }

  function applySnapshot(order) {
    const known = orders.get(order.orderId);
    if (known && known.version >= order.version) return;
    orders.set(order.orderId, {
      version: order.version,
      status: order.status,
      history: order.history.slice(),
    });
    render();
  }

  function applyChange(event) {
    const known = orders.get(event.orderId);
    if (!known) return subscribe(event.orderId); // an order placed elsewhere
    if (event.version <= known.version) return; // duplicate or stale
    if (event.version > known.version + 1) return subscribe(event.orderId); // missed some: re-read
    known.version = event.version;
    known.status = event.status;
    known.history.push({
      status: event.status,
      version: event.version,
      at: event.occurredAt,
      reason: event.reason,
    });
    render();
  }

  function render() {
    const list = $('order-list');
    list.textContent = '';
    for (const [orderId, order] of orders) {
      const li = document.createElement('li');
      li.className = 'order';
      li.dataset.orderId = orderId;
      const title = document.createElement('div');
      title.innerHTML = '<code></code> — <span class="status"></span>';
      title.querySelector('code').textContent = orderId.slice(0, 8);
      title.querySelector('.status').textContent = order.status;
      const timeline = document.createElement('ol');
      timeline.className = 'timeline';
      for (const entry of order.history.slice().sort((a, b) => a.version - b.version)) {
        const step = document.createElement('li');
        step.dataset.version = entry.version;
        step.textContent =
          entry.version + '. ' + entry.status + (entry.reason ? ' (' + entry.reason + ')' : '');
        step.title = entry.at;
        if (FAILED.includes(entry.status)) step.className = 'bad';
        if (entry.status === 'SHIPPING_SCHEDULED') step.className = 'good';
        timeline.append(step);
      }
      li.append(title, timeline);
      list.prepend(li);
    }
  }

  // --- catalog and ordering ---
  async function loadProducts() {
    try {
      const { items } = await api('/api/products?limit=100');
      const tbody = $('products').querySelector('tbody');
      tbody.textContent = '';
      for (const p of items) {
        const tr = document.createElement('tr');
        for (const text of [
          p.sku,
          p.name,
          (p.priceCents / 100).toFixed(2) + ' ' + p.currency,
          String(p.available),
        ]) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        const qty = document.createElement('input');
        Object.assign(qty, { type: 'number', min: 0, max: 100, value: 0 });
        qty.dataset.sku = p.sku;
        const td = document.createElement('td');
        td.append(qty);
        tr.append(td);
        tbody.append(tr);
      }
    } catch (err) {
      say('Could not load products: ' + err.message, true);
    }
  }

  async function placeOrder(event) {
    event.preventDefault();
    if (!token) return say('Sign in first.', true);
    const items = [...document.querySelectorAll('#products input[data-sku]')]
      .filter((input) => Number(input.value) > 0)
      .map((input) => ({ sku: input.dataset.sku, quantity: Number(input.value) }));
    if (items.length === 0) return say('Pick at least one product.', true);
    const body = {
      items,
      paymentToken: $('payment-token').value,
      shippingAddress: {
        name: $('ship-name').value,
        line1: $('ship-line1').value,
        city: $('ship-city').value,
        postalCode: $('ship-postal').value,
        country: $('ship-country').value,
      },
    };
    try {
      const placed = await api('/api/orders', { method: 'POST', body: JSON.stringify(body) });
      say('Order ' + placed.orderId.slice(0, 8) + ' placed.');
      const at = new Date().toISOString();
      applySnapshot({
        orderId: placed.orderId,
        status: placed.status,
        version: placed.version,
        history: [{ status: placed.status, version: placed.version, at, reason: null }],
      });
      subscribe(placed.orderId);
    } catch (err) {
      say('Order refused: ' + err.message, true);
    }
  }

  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const { token: minted } = await api('/api/dev-token', {
        method: 'POST',
        body: JSON.stringify({ customerId: $('customer-id').value }),
      });
      signedIn(minted);
    } catch (err) {
      say('Dev sign-in failed: ' + err.message + ' (paste a token instead)', true);
    }
  });
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    signedIn($('token').value.trim());
  });
  $('order-form').addEventListener('submit', placeOrder);
  loadProducts();
  if (token) signedIn(token);
})();
