package dev.starling.peer.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.peer.node.ManifestTraining;
import dev.starling.peer.node.PeerNode;
import dev.starling.peer.node.RunningPeer;
import dev.starling.protocol.telemetry.PeerStatus;
import dev.starling.protocol.telemetry.RunEvent;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: a coordinator and three training peers in this JVM (real libp2p on
 * loopback, real DiLoCo rounds), Debian's chromium headless through chromedriver. It waits on page
 * conditions, never on sleeps, and leaves a screenshot in {@code target/dashboard-browser-test.png}.
 * CI installs chromium and chromium-driver ({@code .ci/install.d/apt-chromium.sh}); without them it skips.
 */
@Tag("browser")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {
    private static final String CHROMIUM = System.getProperty("starling.chromium", "/usr/bin/chromium");
    private static final String CHROMEDRIVER = System.getProperty("starling.chromedriver", "/usr/bin/chromedriver");
    private static final String TOKEN = "owner-token-for-the-browser-test";
    private static final List<Multiaddr> LOOPBACK = List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"));
    /** Held so the level sticks: Selenium warns it has no DevTools bindings for this chromium; the test uses none. */
    private static final java.util.logging.Logger SELENIUM_LOG = java.util.logging.Logger.getLogger("org.openqa.selenium");
    private static final Duration PATIENCE = Duration.ofSeconds(150);
    private static final String MANIFEST = """
            [run]
            name = "browser-test"
            seed = 7
            [model]
            layers = 1
            heads = 2
            channels = 32
            block_size = 32
            [data]
            batch_size = 4
            [inner]
            steps = 4
            warmup_steps = 2
            [group]
            min_size = 2
            [deadlines]
            round_max_s = 60
            matchmaking_s = 30
            """;

    @Test
    void shouldShowPeersLossCurveLostPeerAndRefuseAdminWithoutToken(@TempDir Path dir) throws Exception {
        assumeTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
                "skipped: the browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
                        + " (apt-get install chromium chromium-driver; CI does it in .ci/install.d/apt-chromium.sh)");
        Path manifest = Files.writeString(dir.resolve("run.toml"), MANIFEST);
        CoordinatorConfig config = new CoordinatorConfig(manifest, Keys.ed25519ForTest(700), LOOPBACK, List.of(),
                new DashboardConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), TOKEN, 8),
                TimeUnit.SECONDS.toNanos(8));
        List<RunningPeer> peers = new ArrayList<>();
        WebDriver browser = null;
        try (CoordinatorNode coordinator = CoordinatorNode.start(config)) {
            TokenDataset data = ManifestTraining.dataset(coordinator.manifest(), null);
            for (int i = 0; i < 3; i++) {
                peers.add(new RunningPeer(PeerNode.join(Keys.ed25519ForTest(701 + i), LOOPBACK,
                        coordinator.bootstrapAddresses()), data, i));
            }
            browser = startBrowser();
            browser.get("http://127.0.0.1:" + coordinator.dashboardPort() + "/");
            WebDriverWait wait = new WebDriverWait(browser, PATIENCE, Duration.ofMillis(200));

            for (RunningPeer p : peers) {
                wait.withMessage("peer " + p.node().peerId() + " never appeared as alive")
                        .until(b -> "alive".equals(peerState(b, p.node().peerId())));
            }
            assertTrue(browser.findElement(By.id("run-id")).getText().contains(coordinator.runId().substring(0, 16)));
            assertEquals("live", browser.findElement(By.id("live")).getText());
            wait.withMessage("the stage map never showed one stage with the three peers").until(b -> "1 stage|3 peers"
                    .equals(script(b, "const box = document.querySelector('#stage-map .stage');"
                            + " return box ? box.children[0].textContent + '|' + box.children[1].textContent : null;")));

            long round = rounds(browser);
            int[] trainPoints = {points(browser, "chart-train")};
            for (int step = 1; step <= 3; step++) {
                long want = round + step;
                wait.withMessage("the run never reached round " + want + " with a longer training-loss curve than "
                        + trainPoints[0] + " points").until(b -> rounds(b) >= want
                        && points(b, "chart-train") > trainPoints[0]);
                trainPoints[0] = points(browser, "chart-train");
            }
            wait.withMessage("the validation curve never had two points").until(b -> points(b, "chart-val") >= 2);
            wait.withMessage("the per-peer bandwidth chart stayed empty").until(b -> points(b, "chart-bandwidth") >= 3);

            RunningPeer victim = peers.getLast();
            victim.close();
            wait.withMessage("the stopped peer was never shown as lost")
                    .until(b -> "lost".equals(peerState(b, victim.node().peerId())));
            String tail = victim.node().peerId().substring(victim.node().peerId().length() - 10);
            wait.withMessage("no 'left' event for the stopped peer").until(b -> Boolean.TRUE.equals(script(b,
                    "return Array.from(document.querySelectorAll('#events li.LEFT'))"
                    + ".some(li => li.textContent.includes(arguments[0]));", tail)));

            String target = peers.getFirst().node().peerId();
            java.util.concurrent.CompletableFuture<RunEvent> heard = new java.util.concurrent.CompletableFuture<>();
            peers.get(1).node().onRunEvent(heard::complete);
            browser.findElement(By.id("ban-peer")).sendKeys(target);
            browser.findElement(By.id("ban")).click();
            wait.withMessage("an admin action without the token was not refused")
                    .until(b -> String.valueOf(script(b, "return document.getElementById('admin-result')"
                            + ".textContent;")).startsWith("refused (401)"));
            assertEquals("alive", peerState(browser, target), "a refused ban must not ban the peer");
            browser.findElement(By.id("token")).sendKeys(TOKEN);
            browser.findElement(By.id("ban")).click();
            wait.withMessage("the owner's ban was not shown").until(b -> "banned".equals(peerState(b, target)));
            RunEvent ban = heard.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertEquals(RunEvent.Kind.BANNED, ban.kind(), "the other peers hear the ban over gossip");
            assertEquals(target, ban.peerId());
            wait.withMessage("the ban is not in the rejected and accused list").until(b -> Boolean.TRUE.equals(script(b,
                    "return Array.from(document.querySelectorAll('#accused li.BANNED'))"
                    + ".some(li => li.textContent.includes(arguments[0]));", target.substring(target.length() - 10))));

            Path shot = Path.of("target", "dashboard-browser-test.png");
            Files.createDirectories(shot.getParent());
            script(browser, "window.scrollTo(0, 0);");
            Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            showsHostileStringsAsText(browser, wait, peers.get(1).node());
        } finally {
            if (browser != null) {
                browser.quit();
            }
            for (RunningPeer p : peers) {
                p.close();
            }
        }
    }

    /** A peer reports markup as its hardware: the page must show it as text and run none of it. */
    private static void showsHostileStringsAsText(WebDriver browser, WebDriverWait wait, PeerNode peer) {
        String hostile = "<img id=pwned src=x onerror=\"document.body.dataset.pwned=1\">";
        wait.withMessage("the hostile status never reached the page").until(b -> {
            peer.publish(new PeerStatus(peer.peerId(), hostile, "cpu", 0, 999, 1, 4, 1, 1, 0, 0, 1, "ffff"));
            return Boolean.TRUE.equals(script(b, "return Array.from(document.querySelectorAll("
                    + "'tr[data-peer=\"' + arguments[0] + '\"] td')).some(td => td.textContent === arguments[1]);",
                    peer.peerId(), hostile));
        });
        assertTrue(browser.findElements(By.id("pwned")).isEmpty(), "peer-supplied markup was rendered");
        assertEquals(null, script(browser, "return document.body.dataset.pwned || null;"));
    }

    private static WebDriver startBrowser() {
        SELENIUM_LOG.setLevel(java.util.logging.Level.SEVERE);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,2000");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    // The page re-renders on every snapshot, so elements go stale; each read is one atomic script.
    private static Object script(WebDriver browser, String js, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(js, args);
    }

    private static String peerState(WebDriver browser, String peerId) {
        return (String) script(browser, "const row = document.querySelector('tr[data-peer=\"' + arguments[0]"
                + " + '\"]'); return row ? row.dataset.state : null;", peerId);
    }

    private static int points(WebDriver browser, String chartId) {
        Object value = script(browser, "return Number(document.getElementById(arguments[0]).dataset.points || 0);",
                chartId);
        return ((Number) value).intValue();
    }

    private static long rounds(WebDriver browser) {
        return ((Number) script(browser, "return Number(document.getElementById('rounds').textContent);"))
                .longValue();
    }
}
