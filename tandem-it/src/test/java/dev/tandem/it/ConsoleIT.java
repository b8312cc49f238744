package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.Browser;
import dev.tandem.it.support.TandemFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import software.amazon.awssdk.services.sagemaker.model.FeatureDefinition;
import software.amazon.awssdk.services.sagemaker.model.FeatureType;

/**
 * The web console at {@code /console}, in a real browser (headless Chromium): the endpoints page,
 * a request sent from the "try it" box and its waterfall, a failing stage's error, logs that follow,
 * jobs, and signing in to a server with access keys. Each page is saved as a screenshot under
 * {@code target/console-screenshots/}.
 */
class ConsoleIT {
    @TempDir
    static Path workDir;

    static TandemFixture tandem;
    static Browser browser;

    @BeforeAll
    static void start() {
        browser = Browser.start();
        tandem = TandemFixture.start(workDir);
        tandem.deployAndAwait(
                """
                {"ModelName": "shop", "Containers": [
                  {"ContainerHostname": "first", "Image": "exec:test-container",
                   "Environment": {"TAG": "first", "RESPONSE_CONTENT_TYPE": "text/x-first"}},
                  {"ContainerHostname": "middle", "Image": "builtin:identity"},
                  {"ContainerHostname": "last", "Image": "exec:test-container", "Environment": {"TAG": "last"}}]}
                """);
        tandem.deployAndAwait(
                """
                {"ModelName": "broken", "Containers": [
                  {"ContainerHostname": "pre", "Image": "builtin:identity"},
                  {"ContainerHostname": "post", "Image": "exec:test-container",
                   "Environment": {"BEHAVIOUR": "fail", "FAIL_STATUS": "500", "FAIL_MESSAGE": "kaput: bad tensor"}}]}
                """);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (tandem != null) {
            tandem.close();
        }
    }

    private static void open(String fragment) {
        browser.driver().get(tandem.baseUrl().resolve("/console/") + fragment);
    }

    private static List<String> stagesOf(WebElement container) {
        return container.findElements(By.cssSelector("ol.stages li")).stream()
                .map(li -> li.getAttribute("data-stage") + " "
                        + li.findElement(By.className("runtime")).getText())
                .toList();
    }

    @Test
    void theEndpointsPageShowsEachEndpointWithItsStagesInOrder() {
        open("#/endpoints");
        WebElement row = browser.waiting()
                .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("tr[data-endpoint='shop']")));

        assertThat(row.getText()).contains("InService").contains("AllTraffic");
        assertThat(stagesOf(row)).containsExactly("first exec", "middle builtin", "last exec");
        WebElement broken = browser.driver().findElement(By.cssSelector("tr[data-endpoint='broken']"));
        assertThat(stagesOf(broken)).containsExactly("pre builtin", "post exec");
        browser.screenshot("endpoints");
    }

    @Test
    void aRequestSentFromTryItShowsAWaterfallOfThePipelinesStages() {
        open("#/endpoints/shop");
        WebElement body = browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("try-body")));
        assertThat(stagesOf(browser.driver().findElement(By.id("live"))))
                .containsExactly("first exec", "middle builtin", "last exec");
        // With the keyboard only: type the body, Tab to the button, Enter.
        body.sendKeys("1,2,3");
        body.sendKeys(Keys.TAB);
        browser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);

        WebElement result = browser.waiting()
                .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#try-result .waterfall")));
        List<String> bars = result.findElements(By.cssSelector(".bar")).stream()
                .map(bar -> bar.getAttribute("data-stage"))
                .toList();
        assertThat(bars).containsExactly("first", "middle", "last", "tandem");
        assertThat(browser.driver().findElement(By.id("try-answer")).getText())
                .startsWith("1,2,3>first")
                .contains(">last");
        // Sizes and types between stages, from the request's own X-Tandem-Stages.
        assertThat(browser.driver()
                        .findElement(By.cssSelector("#try-result .legend"))
                        .getText())
                .contains("first")
                .contains("text/x-first");
        // The request joins the latest requests, with its stages.
        WebElement recent = browser.waiting()
                .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#recent tbody tr")));
        assertThat(recent.findElements(By.cssSelector(".bar")).stream()
                        .map(bar -> bar.getAttribute("data-stage"))
                        .toList())
                .startsWith("first", "middle", "last");
        browser.screenshot("endpoint-try-it");
    }

    @Test
    void aFailingStageShowsWhichStageFailedAndWhy() {
        open("#/endpoints/broken");
        WebElement body = browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("try-body")));
        body.sendKeys("x");
        browser.driver().findElement(By.id("try-send")).click();

        WebElement error = browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("try-error")));
        assertThat(error.getText()).contains("ModelError in stage post (424)").contains("kaput: bad tensor");
        WebElement failed = browser.waiting()
                .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#recent tr.failed")));
        assertThat(failed.getText())
                .contains("424")
                .contains("ModelError in post")
                .contains("kaput");
        browser.screenshot("endpoint-failing-stage");
    }

    @Test
    void theLogsOfEachContainerFollowLive() {
        open("#/endpoints/broken");
        WebElement log = browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("log")));
        browser.waiting().until(driver -> log.getText().contains("test container"));
        long before = count(log.getText(), "failing on purpose");

        // A request made elsewhere: its container's line appears without reloading the page.
        tandem.invoke("broken", "from elsewhere");
        browser.waiting().until(driver -> count(log.getText(), "failing on purpose") > before);
        assertThat(log.getText()).contains("post stderr: failing on purpose");
        browser.screenshot("endpoint-logs");
    }

    @Test
    void theJobsPageFollowsATransformJobsProgressAndListsFeatureGroups() throws Exception {
        Path input = workDir.resolve("batch-in");
        Files.createDirectories(input);
        for (int i = 1; i <= 3; i++) {
            Files.writeString(input.resolve("part-" + i + ".csv"), i + "\n");
        }
        tandem.sageMaker().createModel(r -> r.modelName("slow-model")
                .primaryContainer(c ->
                        c.image("exec:" + workDir.resolve("test-container")).environment(Map.of("SLEEP_MS", "1500"))));
        tandem.sageMaker().createTransformJob(r -> r.transformJobName("nightly")
                .modelName("slow-model")
                .maxConcurrentTransforms(1)
                .transformInput(in -> in.dataSource(d ->
                                d.s3DataSource(s -> s.s3DataType("S3Prefix").s3Uri("file:" + input)))
                        .contentType("text/csv"))
                .transformOutput(out -> out.s3OutputPath("file:" + workDir.resolve("batch-out")))
                .transformResources(res -> res.instanceType("ml.m5.large").instanceCount(1)));

        tandem.sageMaker().createFeatureGroup(r -> r.featureGroupName("customers")
                .recordIdentifierFeatureName("id")
                .eventTimeFeatureName("time")
                .featureDefinitions(
                        FeatureDefinition.builder()
                                .featureName("id")
                                .featureType(FeatureType.STRING)
                                .build(),
                        FeatureDefinition.builder()
                                .featureName("time")
                                .featureType(FeatureType.STRING)
                                .build())
                .onlineStoreConfig(o -> o.enableOnlineStore(true)));

        open("#/jobs");
        By row = By.cssSelector("tr[data-job='nightly']");
        // While it runs: its files done out of three, with a progress bar; then Completed.
        browser.waiting()
                .until(driver -> driver.findElement(row).getText().matches("(?s).*InProgress.*[0-2]/3 files.*"));
        assertThat(browser.driver()
                        .findElement(row)
                        .findElement(By.cssSelector("[role=progressbar]"))
                        .getAttribute("aria-valuemax"))
                .isEqualTo("3");
        browser.screenshot("jobs-in-progress");
        browser.waiting().until(driver -> driver.findElement(row).getText().contains("Completed"));
        assertThat(browser.driver().findElement(row).getText()).contains("all inputs transformed");
        browser.waiting()
                .until(driver -> driver.findElement(By.id("groups")).getText().contains("customers"));
        assertThat(browser.driver().findElement(By.id("queues-title")).getText())
                .isEqualTo("Asynchronous queues");
        browser.screenshot("jobs");
    }

    @Test
    void aServerWithAccessKeysAsksToSignInAndRefusesAWrongKey(@TempDir Path otherDir) {
        try (TandemFixture secured =
                TandemFixture.start(otherDir, c -> c.withAccessKeys(Map.of("AKIDCONSOLE", "console-secret")))) {
            browser.driver().get(secured.baseUrl().resolve("/console/").toString());
            WebElement key =
                    browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("access-key")));
            key.sendKeys("AKIDCONSOLE");
            browser.driver().findElement(By.id("secret-key")).sendKeys("not-the-secret", Keys.ENTER);
            WebElement error = browser.waiting()
                            .until(ExpectedConditions.textToBePresentInElementLocated(
                                    By.id("sign-in-error"), "Sign-in failed"))
                    ? browser.driver().findElement(By.id("sign-in-error"))
                    : null;
            assertThat(error.getText()).contains("signature");
            browser.screenshot("sign-in-refused");

            WebElement secret = browser.driver().findElement(By.id("secret-key"));
            secret.clear();
            secret.sendKeys("console-secret", Keys.ENTER);
            browser.waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "AKIDCONSOLE"));
            browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("main section.card")));
            assertThat(browser.driver().findElement(By.tagName("main")).getText())
                    .contains("No endpoints yet");
            browser.screenshot("signed-in");
        } finally {
            browser.driver().executeScript("sessionStorage.clear()");
        }
    }

    private static long count(String text, String part) {
        long found = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            found++;
        }
        return found;
    }
}
