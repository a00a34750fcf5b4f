// Node 20 lacks Promise.withResolvers (Node 22+). Transitive dependencies of the pinned js-libp2p 2.x
// (mortice -> it-queue, libp2p internals) call it, so define it before anything else is imported.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
