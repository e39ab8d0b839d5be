// The official twitter-text and @atproto/api, answering the tests over stdin/stdout: one
// JSON request a line, one JSON answer a line, so thousands of strings cost one process.
//
//   {"op": "parse", "texts": [...]}     -> [{"weightedLength", "valid", "permillage", "nfc"}, ...]
//   {"op": "mentions", "texts": [...]}  -> [[screen names extractMentions finds outside URLs], ...]
//   {"op": "hashtags", "texts": [...]}  -> [[hashtags twitter-text extracts], ...]
//   {"op": "emoji_regex"}               -> the source of the emoji regex twitter-text counts with
//   {"op": "richtext", "texts": [...]}  -> [{"graphemeLength", "length", "facets"}, ...] as
//                                          RichText.detectFacetsWithoutResolution finds them
//   {"op": "tlds"}                      -> the top-level domains RichText links bare domains for
"use strict";

const readline = require("readline");
const twitterText = require("twitter-text");
const emojiRegex = require("twemoji-parser/dist/lib/regex.js").default;
const { RichText } = require("@atproto/api");
const tlds = require("tlds");

function answer(request) {
  switch (request.op) {
    case "parse":
      return request.texts.map((text) => {
        const parsed = twitterText.parseTweet(text);
        return {
          weightedLength: parsed.weightedLength,
          valid: parsed.valid,
          permillage: parsed.permillage,
          nfc: text.normalize(),
        };
      });
    case "mentions":
      // extractMentions, less what lies inside a URL: X links the URL there, as
      // extractEntitiesWithIndices does when entities overlap.
      return request.texts.map((text) => {
        const urls = twitterText.extractUrlsWithIndices(text).map((u) => u.indices);
        return twitterText
          .extractMentionsWithIndices(text)
          .filter((m) => !urls.some(([s, e]) => m.indices[0] < e && s < m.indices[1]))
          .map((m) => m.screenName);
      });
    case "hashtags":
      return request.texts.map((text) => twitterText.extractHashtags(text));
    case "richtext":
      return request.texts.map((text) => {
        const rt = new RichText({ text });
        rt.detectFacetsWithoutResolution();
        return { graphemeLength: rt.graphemeLength, length: rt.length, facets: rt.facets || [] };
      });
    case "tlds":
      return tlds;
    case "emoji_regex":
      return { source: emojiRegex.source, flags: emojiRegex.flags };
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  let reply;
  try {
    reply = { ok: answer(JSON.parse(line)) };
  } catch (error) {
    reply = { error: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
