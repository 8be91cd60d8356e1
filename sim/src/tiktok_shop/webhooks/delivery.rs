//! The delivery task of the webhooks: it sweeps the world clock for new
//! events, POSTs what is due one at a time in queue order, and settles each
//! delivery (acknowledged, retried later, or given up).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::Delivery;
use crate::Sim;

/// How often the delivery task looks at the world clock when nothing wakes it.
const TICK: Duration = Duration::from_millis(500);
/// How long one POST may take before it counts as failed.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// Makes sure the sim's delivery task runs (inside a Tokio runtime) and wakes it.
pub(crate) fn kick(sim: &Sim) {
    let mut state = sim.lock();
    let hooks = &mut state.tiktok.webhooks;
    if !hooks.running
        && let Ok(runtime) = tokio::runtime::Handle::try_current()
    {
        hooks.running = true;
        runtime.spawn(deliver(sim.downgrade(), Arc::clone(&hooks.wake)));
    }
    hooks.wake.notify_one();
}

/// The delivery task: sweeps the clock, POSTs what is due, one at a time and
/// in queue order, and ends when the sim is gone.
async fn deliver(sim: crate::state::WeakSim, wake: Arc<Notify>) {
    let client = match reqwest::Client::builder().timeout(POST_TIMEOUT).build() {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(%err, "TikTok Shop webhooks: no HTTP client; nothing will be delivered");
            return;
        }
    };
    loop {
        let batch = {
            let Some(sim) = sim.upgrade() else { return };
            let mut state = sim.lock();
            let tiktok = &mut state.tiktok;
            tiktok.sweep_webhooks();
            let now = tiktok.clock.now();
            tiktok.webhooks.take_due(now)
        };
        if batch.is_empty() {
            let _ = tokio::time::timeout(TICK, wake.notified()).await;
            continue;
        }
        for (delivery, posts) in batch {
            let mut acknowledged = Vec::new();
            for _ in 0..posts {
                if let Some(status) = post(&client, &delivery).await {
                    acknowledged.push(status);
                }
            }
            let Some(sim) = sim.upgrade() else { return };
            let mut state = sim.lock();
            let now = state.tiktok.clock.now();
            state.tiktok.webhooks.settle(delivery, &acknowledged, now);
        }
    }
}

/// One POST; the status when it was a 2xx.
async fn post(client: &reqwest::Client, delivery: &Delivery) -> Option<u16> {
    let sent = client
        .post(&delivery.address)
        .header("Authorization", &delivery.signature)
        .header("Content-Type", "application/json")
        .body(delivery.body.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Some(response.status().as_u16()),
        Ok(response) => {
            tracing::debug!(status = response.status().as_u16(), id = %delivery.tts_notification_id, "webhook refused");
            None
        }
        Err(err) => {
            tracing::debug!(%err, id = %delivery.tts_notification_id, "webhook not delivered");
            None
        }
    }
}
