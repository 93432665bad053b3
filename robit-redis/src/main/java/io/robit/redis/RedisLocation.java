package io.robit.redis;

import io.lettuce.core.RedisURI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * A Robit Redis URI taken apart: Lettuce's URI syntax ({@code redis://}, {@code rediss://},
 * {@code redis-sentinel://}, {@code rediss-sentinel://}) plus two query parameters of Robit's own,
 * removed before Lettuce sees the URI: {@code cluster=true} (the hosts, comma separated, are Cluster
 * seed nodes) and {@code keyPrefix=...}.
 *
 * @param uris one URI, or one per Cluster seed node
 * @param cluster whether to connect as a Cluster client
 * @param keyPrefix the key prefix, or {@code null} for the default
 */
record RedisLocation(List<RedisURI> uris, boolean cluster, String keyPrefix) {

    static RedisLocation parse(String uri) {
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd < 0) {
            throw new IllegalArgumentException("Redis URI '" + uri + "' must look like redis://host:port[/db][?cluster=true&keyPrefix=robit:]");
        }
        String scheme = uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        int fragmentStart = indexOrEnd(uri, '#', schemeEnd);
        int queryStart = indexOrEnd(uri.substring(0, fragmentStart), '?', schemeEnd);
        String fragment = uri.substring(fragmentStart);
        String query = queryStart < fragmentStart ? uri.substring(queryStart + 1, fragmentStart) : "";

        boolean cluster = false;
        String keyPrefix = null;
        StringJoiner lettuceQuery = new StringJoiner("&");
        for (String parameter : query.split("&")) {
            if (parameter.isEmpty()) {
                continue;
            }
            int eq = parameter.indexOf('=');
            String name = eq < 0 ? parameter : parameter.substring(0, eq);
            String value = eq < 0 ? "" : URLDecoder.decode(parameter.substring(eq + 1), StandardCharsets.UTF_8);
            switch (name) {
                case "cluster" -> cluster = parseBoolean(uri, value);
                case "keyPrefix" -> keyPrefix = value;
                default -> lettuceQuery.add(parameter);
            }
        }
        String rest = uri.substring(0, queryStart) + (lettuceQuery.length() == 0 ? "" : "?" + lettuceQuery) + fragment;
        if (!cluster) {
            return new RedisLocation(List.of(toLettuce(uri, rest)), false, keyPrefix);
        }
        if (scheme.contains("sentinel") || scheme.contains("socket")) {
            throw new IllegalArgumentException("cluster=true needs a redis:// or rediss:// URI, got '" + uri + "'");
        }
        // Lettuce reads one host per redis:// URI: make one URI per seed node.
        int authorityStart = schemeEnd + 3;
        int authorityEnd = authorityStart;
        while (authorityEnd < rest.length() && "/?#".indexOf(rest.charAt(authorityEnd)) < 0) {
            authorityEnd++;
        }
        String authority = rest.substring(authorityStart, authorityEnd);
        int at = authority.lastIndexOf('@');
        String userInfo = at < 0 ? "" : authority.substring(0, at + 1);
        List<RedisURI> seeds = new ArrayList<>();
        for (String host : authority.substring(at + 1).split(",")) {
            seeds.add(toLettuce(uri, rest.substring(0, authorityStart) + userInfo + host.strip() + rest.substring(authorityEnd)));
        }
        return new RedisLocation(List.copyOf(seeds), true, keyPrefix);
    }

    private static RedisURI toLettuce(String original, String uri) {
        try {
            return RedisURI.create(uri);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Redis URI '" + original + "' is malformed: " + e.getMessage(), e);
        }
    }

    private static boolean parseBoolean(String uri, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("cluster must be true or false in Redis URI '" + uri + "', got '" + value + "'");
        };
    }

    private static int indexOrEnd(String text, char c, int from) {
        int at = text.indexOf(c, from);
        return at < 0 ? text.length() : at;
    }
}
