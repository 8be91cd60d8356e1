//! Chromium through its own chromedriver (WebDriver), with waits that outlast the live list's refreshes.

use std::{path::PathBuf, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::json;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Bounds every wait for the page; nothing here measures time.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A Chromium session through its own chromedriver; both end when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
    _profile: tempdir::Dir,
    base: String,
    shots: PathBuf,
    taken: usize,
}

/// A private directory removed on drop (Chromium's profile).
mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("temp dir");
            Self(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

impl Browser {
    /// A browser for one walk: its profile and its screenshots (`console-screenshots/{walk}/`) are its
    /// own, so walks can run at the same time.
    pub async fn start(base: &str, walk: &str) -> Self {
        for tool in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                std::path::Path::new(tool).exists(),
                "{tool} is missing: `make test` installs it (scripts/tools.sh), or apt-get install chromium chromium-driver"
            );
        }
        let port = free_port();
        // Its own process group, so that Chromium (chromedriver's child) can be stopped with it even when
        // the test fails before closing the session.
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let profile = tempdir::Dir::new(&format!("ocean-console-chromium-{walk}"));
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                // The machine has no internet: background networking would only fail and slow the start.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.0.display())],
            }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => {
                    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                        .join("console-screenshots")
                        .join(walk);
                    let _ = std::fs::remove_dir_all(&shots);
                    std::fs::create_dir_all(&shots).expect("screenshot dir");
                    return Self {
                        client,
                        driver,
                        _profile: profile,
                        base: base.to_owned(),
                        shots,
                        taken: 0,
                    };
                }
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a Chromium session: {last_error}");
    }

    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no `{css}` on {}: {e}\n{}", self.path().await, self.page_text().await),
        }
    }

    /// The visible text of the page, for failure messages.
    async fn page_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// A button by its visible label, inside the first element matching `within`.
    pub async fn button(&self, within: &str, label: &str) -> Element {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(scope) = self.client.find(Locator::Css(within)).await {
                for button in scope.find_all(Locator::Css("button")).await.unwrap_or_default() {
                    if button.text().await.is_ok_and(|t| t.trim() == label) {
                        return button;
                    }
                }
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "no `{label}` button in `{within}` on {}:\n{}",
                    self.path().await,
                    self.page_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear field");
        field.send_keys(text).await.expect("type");
    }

    /// The element's text. The live list may replace the element between finding and reading it; then
    /// it is found again.
    pub async fn text(&self, css: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) if tokio::time::Instant::now() > deadline => panic!("text of `{css}`: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Clicks the button labelled `label` inside `within`, finding it again if the live list replaced it.
    pub async fn press(&self, within: &str, label: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match self.button(within, label).await.click().await {
                Ok(()) => return,
                Err(e) if tokio::time::Instant::now() > deadline => panic!("click `{label}` in `{within}`: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Waits until the element's text contains `needle` (the page refreshes it live).
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "`{css}` never showed `{needle}`; last: {text}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn screenshot(&mut self, name: &str) {
        self.taken += 1;
        let png = self.client.screenshot().await.expect("screenshot");
        let file = self.shots.join(format!("{:02}-{name}.png", self.taken));
        std::fs::write(&file, png).expect("save screenshot");
    }

    /// Whether the page is wider than the window (it must not be at phone width).
    pub async fn overflows(&self) -> bool {
        let wide = self
            .client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await
            .expect("measure");
        wide == json!(true)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
