namespace Gpo.Data.Fetch;

/// <summary>
/// Every file the presets read, pinned to the public repository, commit, path, git blob id and size recorded in
/// the data folders' PROVENANCE.md, and which preset reads which. <c>globalqa-full</c>'s original CSV is pinned by
/// its git blob id (its exact size is not recorded anywhere we could read; the blob id fixes it).
/// </summary>
public static class DataCatalogue
{
    /// <summary>Fetches every preset's files.</summary>
    public const string All = "all";

    /// <summary>tatsu-lab/opinions_qa (the official OpinionQA repository).</summary>
    public static DataSource TatsuLab { get; } = new(SourceHost.GitHub, "tatsu-lab/opinions_qa",
        "no licence file in the repository at any commit (its README says \"code and data for our paper\")");

    /// <summary>nicolemeister/benchmarking-distributional-alignment (Meister, Guestrin, Hashimoto 2024).</summary>
    public static DataSource Meister { get; } = new(SourceHost.GitHub, "nicolemeister/benchmarking-distributional-alignment",
        "no licence file in the repository");

    /// <summary>BunsenFeng/modular_pluralism (Feng et al. 2024).</summary>
    public static DataSource ModularPluralism { get; } = new(SourceHost.GitHub, "BunsenFeng/modular_pluralism",
        "no licence file in the repository");

    /// <summary>awesel/GlobalOpinionBench (a course project's eval split of GlobalOpinionQA).</summary>
    public static DataSource GlobalOpinionBench { get; } = new(SourceHost.GitHub, "awesel/GlobalOpinionBench",
        "no licence file in the repository");

    /// <summary>The Hugging Face dataset Anthropic/llm_global_opinions (the original GlobalOpinionQA release).</summary>
    public static DataSource AnthropicGlobalOpinions { get; } = new(SourceHost.HuggingFaceDataset, "Anthropic/llm_global_opinions",
        "CC BY-NC-SA 4.0 per the dataset card: attribution, non-commercial use only, share-alike");

    /// <summary>The commit of tatsu-lab/opinions_qa that holds <c>data/human_resp/</c> (deleted again in the next commit).</summary>
    public const string TatsuLabCommit = "ed8c4e0ac1a48c77e041db58d877eb3d0d949d65";

    /// <summary>The commit of nicolemeister/benchmarking-distributional-alignment.</summary>
    public const string MeisterCommit = "36869b56b214b5ddce13dc234d62b4cbce3706cd";

    /// <summary>The commit of BunsenFeng/modular_pluralism.</summary>
    public const string ModularPluralismCommit = "56bd05d2e6d824e93a5c0bee5ac26b56aeb299aa";

    /// <summary>The commit of awesel/GlobalOpinionBench.</summary>
    public const string GlobalOpinionBenchCommit = "0d171539644738f3602243b981bd1b6a912acd4a";

    /// <summary>Terms of the OpinionQA files' underlying data.</summary>
    public const string PewTerms = "OpinionQA (Santurkar et al. 2023) from the Pew Research Center American Trends Panel; no licence stated by the authors; Pew's terms of use apply";

    /// <summary>Terms of the GlobalOpinionQA files' underlying data.</summary>
    public const string GlobalOpinionQaTerms = "GlobalOpinionQA (Durmus et al. 2023, Anthropic), CC BY-NC-SA 4.0: non-commercial use only";

    /// <summary>Where the original GlobalOpinionQA CSV goes under the data root.</summary>
    public const string GlobalOpinionsCsv = "globalopinionqa/global_opinions.csv";

    /// <summary>Every pinned file, in data-root order.</summary>
    public static IReadOnlyList<DataFile> Files { get; } =
    [
        new("opinionqa/human_resp/American_Trends_Panel_W26/info.csv", "fcd7f7ba826b73a0f2bc72ce2d61917cffdce391", 26569,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W26/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W27/info.csv", "e874e556084c802fafa819c98abc095fe93be8a4", 35574,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W27/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W29/info.csv", "6d4a49098e14363272f18f666c1648fe3ef0def1", 27746,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W29/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W32/info.csv", "25055077111b560dcb13c65a9d17af54205459fe", 35782,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W32/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W34/info.csv", "943637c3ed90554f91711160dbb3d90d2b78a28d", 26467,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W34/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W36/info.csv", "7de184de22acb42c8b28d7e4fcd76cdb12cdd7b0", 54240,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W36/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W41/info.csv", "b36d4724ac6d7769ba20cd7b2ce590bc5ebc427f", 38258,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W41/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W42/info.csv", "1b28e62e4325083fe2ba2e9541d21f5aadf99595", 51147,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W42/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W43/info.csv", "f62a5daf016513c563f6e9cbfb6942d0ca5d6e6b", 45878,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W43/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W45/info.csv", "3a0c359ab23f2d318d195a87b98efaf910b8cafa", 33738,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W45/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W49/info.csv", "f090548e5b89c54c5d85257bff0dd829386cb01c", 35510,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W49/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W50/info.csv", "80e850d503c16915a69859810eb1943efc8d1031", 44067,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W50/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W54/info.csv", "c22cf1de4289b82bb8fecd44b618ba566ff70185", 44942,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W54/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W82/info.csv", "b9486d24fb254108e712dbe31a500525fe21374c", 39661,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W82/info.csv")], PewTerms),
        new("opinionqa/human_resp/American_Trends_Panel_W92/info.csv", "596c9b08fc3e2791630cd27bf3246180faf916bd", 32161,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/American_Trends_Panel_W92/info.csv")], PewTerms),
        new("opinionqa/human_resp/Pew_American_Trends_Panel_disagreement_100/info.csv", "265e9bea81e5565fd2f31db91f10aa0ac73f07f4", 44496,
            [new FileOrigin(Meister, MeisterCommit, "opinions_qa/data/human_resp/Pew_American_Trends_Panel_disagreement_100/info.csv")], PewTerms),
        new("opinionqa/human_resp/Pew_American_Trends_Panel_disagreement_500/info.csv", "024754ee686f04d4789a5b845c02f1a4bd370bfa", 214062,
            [new FileOrigin(TatsuLab, TatsuLabCommit, "data/human_resp/Pew_American_Trends_Panel_disagreement_500/info.csv")], PewTerms),
        new("opinionqa/human_resp/Pew_American_Trends_Panel_disagreement_500/POLPARTY_data.json", "9e51882b0dc81759770651fa7e0e264888f2b887", 466198,
            [new FileOrigin(Meister, MeisterCommit, "opinions_qa/data/human_resp/Pew_American_Trends_Panel_disagreement_500/POLPARTY_data.json")], PewTerms),
        new("opinionqa/human_resp/Pew_American_Trends_Panel_disagreement_500/RACE_data.json", "1cacba6cced808e94e0fe8a8ab8e760a89f8e7a6", 564333,
            [new FileOrigin(Meister, MeisterCommit, "opinions_qa/data/human_resp/Pew_American_Trends_Panel_disagreement_500/RACE_data.json")], PewTerms),
        new("opinionqa/human_resp/Pew_American_Trends_Panel_disagreement_500/SEX_data.json", "4c175ab6141ca376f2b0edb5b7beafc7e65386e0", 270868,
            [new FileOrigin(Meister, MeisterCommit, "opinions_qa/data/human_resp/Pew_American_Trends_Panel_disagreement_500/SEX_data.json")], PewTerms),
        new("opinionqa/derived_subsets/modular_pluralism/steerable_test_opinionqa_small.json", "c3f232a1d4d7e4823779aa56d5c792228233bc03", 2991234,
            [new FileOrigin(ModularPluralism, ModularPluralismCommit, "input/steerable_test_opinionqa_small.json")], PewTerms),
        new("globalopinionqa/GlobalOpinionBench/eval.json", "568a39bb1f32af71b00d5d9618578d4b306b41f8", 2571852,
            [new FileOrigin(GlobalOpinionBench, GlobalOpinionBenchCommit, "data/eval.json")], GlobalOpinionQaTerms),
        new("globalopinionqa/meister2024_Global_Values/data.json", "877a311e9389f9e6352390c50abc28b54d69efce", 90813,
            [new FileOrigin(Meister, MeisterCommit, "Global_Values/data/data.json")], GlobalOpinionQaTerms),
        new("globalopinionqa/modular_pluralism/distributional_test_globalopinionqa_small.json", "4797dc1cc3b348060a0aec928a8ed3004482d6a2", 4126852,
            [new FileOrigin(ModularPluralism, ModularPluralismCommit, "input/distributional_test_globalopinionqa_small.json")], GlobalOpinionQaTerms),

        new(GlobalOpinionsCsv, "40003b4d8fddb82db8c2bdc4d7329789a08a529f", null,
            [
                new FileOrigin(Meister, MeisterCommit, "Global_Values/data_global_opinions.csv"),
                new FileOrigin(AnthropicGlobalOpinions, "main", "data/global_opinions.csv"),
            ], GlobalOpinionQaTerms, MaxBytes: 8 << 20),
    ];

    private static readonly Dictionary<string, DataFile> ByPath = Files.ToDictionary(f => f.RelativePath, StringComparer.Ordinal);

    /// <summary>The presets that <c>gpo data fetch</c> can get (the real-data presets of <see cref="DatasetLoader"/>).</summary>
    public static IReadOnlyList<string> Presets { get; } =
        [DatasetLoader.OpinionQa500, DatasetLoader.OpinionQa22, DatasetLoader.GlobalQa14, DatasetLoader.GlobalQaFull];

    /// <summary>The files <paramref name="preset"/> reads (every preset's for <see cref="All"/>).</summary>
    public static IReadOnlyList<DataFile> FilesOf(string preset)
    {
        const string disagreement500 = "opinionqa/human_resp/Pew_American_Trends_Panel_disagreement_500/";
        IEnumerable<string> paths = preset switch
        {
            DatasetLoader.OpinionQa500 => [disagreement500 + "info.csv", disagreement500 + "POLPARTY_data.json", disagreement500 + "RACE_data.json", disagreement500 + "SEX_data.json"],
            // The modular-pluralism file and every info.csv under human_resp (the loader joins ordinals from all of them).
            DatasetLoader.OpinionQa22 => Files.Select(f => f.RelativePath)
                .Where(p => p.StartsWith("opinionqa/derived_subsets/", StringComparison.Ordinal) || (p.StartsWith("opinionqa/human_resp/", StringComparison.Ordinal) && p.EndsWith("/info.csv", StringComparison.Ordinal))),
            DatasetLoader.GlobalQa14 => GlobalOpinionQa.SubsetFiles.Select(f => "globalopinionqa/" + f),
            DatasetLoader.GlobalQaFull => [GlobalOpinionsCsv],
            All => Files.Select(f => f.RelativePath),
            _ => throw new ArgumentException($"'{preset}' is not a preset with files to fetch; choose one of {string.Join(", ", Presets)} or {All}"),
        };
        return paths.Select(p => ByPath[p]).ToList();
    }
}
