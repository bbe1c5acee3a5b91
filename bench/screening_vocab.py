"""Vocabularies of the screening benchmark's synthetic names (``bench/screening_names.py``)."""

# ruff: noqa: RUF001

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


# --- vocabularies ----------------------------------------------------------------------------------------

RU_MALE = _words(
    """
    Aleksandr Aleksey Anatoliy Andrey Anton Arkadiy Artem Boris Vadim Valentin Valeriy Vasiliy
    Viktor Vitaliy Vladimir Vladislav Vyacheslav Gennadiy Georgiy Gleb Grigoriy Daniil Denis Dmitriy
    Evgeniy Egor Ivan Igor Ilya Kirill Konstantin Leonid Maksim Mikhail Nikita Nikolay Oleg Pavel
    Petr Roman Ruslan Sergey Stanislav Stepan Timur Fedor Yuriy Yaroslav Semen Lev Matvey Arseniy
    Eduard Rostislav Taras Filipp Zakhar Savva Vsevolod Bogdan Yakov Timofey Emil Rodion Efim Nazar
    Platon
    """
)
RU_FEMALE = _words(
    """
    Anna Alla Anastasiya Valentina Vera Galina Darya Ekaterina Elena Elizaveta Zhanna Irina Kseniya
    Larisa Lyudmila Marina Mariya Nadezhda Natalya Nina Oksana Olga Polina Svetlana Tatyana Yuliya
    Yana Lidiya Tamara Zoya Alina Viktoriya Diana Kristina Veronika Arina Sofiya Margarita Evgeniya
    """
)
RU_SURNAMES = _words(
    """
    Ivanov Smirnov Kuznetsov Popov Vasilyev Petrov Sokolov Mikhaylov Novikov Fedorov Morozov Volkov
    Alekseyev Lebedev Semenov Egorov Pavlov Kozlov Stepanov Nikolayev Orlov Andreyev Makarov Nikitin
    Zakharov Zaytsev Solovyev Borisov Yakovlev Grigoryev Romanov Vorobyev Sergeyev Kuzmin Frolov
    Aleksandrov Dmitriyev Korolev Gusev Kiselev Ilyin Maksimov Polyakov Sorokin Vinogradov Kovalev
    Belov Medvedev Antonov Tarasov Zhukov Baranov Filippov Komarov Davydov Belyayev Gerasimov
    Bogdanov Osipov Sidorov Matveyev Titov Markov Mironov Krylov Kulikov Karpov Vlasov Melnikov
    Denisov Gavrilov Tikhonov Kazakov Afanasyev Danilov Savelyev Timofeyev Fomin Chernov Abramov
    Martynov Efimov Fedotov Shcherbakov Nazarov Kalinin Isayev Chernyshev Bykov Maslov Rodionov
    Konovalov Lazarev Voronin Klimov Filatov Ponomarev Golubev Kudryavtsev Prokhorov Naumov Potapov
    Zhuravlev Ovchinnikov Trofimov Leonov Sobolev Ermakov Kolesnikov Goncharov Emelyanov Nikiforov
    Grachev Kotov Grishin Efremov Arkhipov Gromov Kirillov Malyshev Panov Moiseyev Rumyantsev Akimov
    Kondratyev Biryukov Gorbunov Anisimov Eremin Tikhomirov Galkin Lukyanov Mikheyev Skvortsov Yudin
    Belousov Nesterov Simonov Prokofyev Kharitonov Knyazev Tsvetkov Levin Mitrofanov Voronov Aksenov
    Sofronov Maltsev Loginov Gorshkov Savin Krasnov Mayorov Demidov Eliseyev Rybakov Safonov
    Plotnikov Demin Khokhlov Zhdanov Ryabov Kuzin Shirokov Shevchenko Kovalenko Bondarenko Tkachenko
    Kravchenko Boyko Lysenko Marchenko Rudenko Savchenko Petrenko Kuzmenko Pavlenko Yakovenko
    Zinchenko Levchenko Klimenko Karpenko Ostrovsky Zhukovsky Kovalsky Vishnevsky Yablonsky
    Pokrovsky Rozhdestvensky Dobrovolsky
    """
)
# Surname roots for a larger, realistic space of Russian-looking surnames beyond the common ones.
RU_ROOTS = _words(
    """
    Bel Chern Sed Gorb Kurch Lys Tolst Tonk Dolg Korot Bystr Tikh Grom Zvon Medv Volch Lis Zay Sokol
    Orl Yastreb Kukushk Gus Lebed Zhuravl Sinits Solov Vorob Galk Sorok Vorontz Drozd Skvorts
    Kuropatk Bobr Kun Sobol Barsuk Kabanch Telyat Kozl Baran Bych Korov Kon Zherebts Kobyl Kot Kosh
    Mysh Krys Zhuk Komar Mukh Pchel Shmel Os Rybk Shchuk Karas Lesh Ersh Okun Sig Sudak Seld Kit Mor
    Rek Oz Gor Dol Pol Les Bor Dub Ber Klen Lip Yasen Sosn El Pikht Kedr Ryabin Kalin Malin Vishn
    Grush Yablon Slivk Orekh Zhelud Kamen Pesk Glin Zolot Serebr Medn Zhelezn Olov Svints Stal Chug
    Kuzn Kovl Stolyar Plotnik Gonchar Kozhev Sapozh Portn Tkach Mel Pekar Povar Kupts Torg Vozn
    Pastukh Okhotn Rybol Mytn Pisar Dyak Pop Dyakon Mon Igumen Knyaz Boyar Dvoryan Kholop Smerd
    Strel Pushkar Kazach Ataman Esaul Sotn Tysyatsk
    """
)
RU_SUFFIXES = ["ov", "ev", "in", "ikov", "enko", "sky", "ovsky", "ich", "yuk", "ukhin", "ishin", "anov"]
RU_COMPANY_PREFIXES = _words(
    """
    Ural Sib Volga Don Kama Neva Baltik Tekhno Prom Neft Gaz Energo Mash Stroy Avia Radio Elektro
    Spets Tyazh Agro Khim Metall Opt Nauch Inter Trans Rus Ros Zapad Vostok Sever Yug Tsentr Kvant
    Lazer Optik Mikro Nano Kompozit Sistem Resurs Impuls Signal Vektor Granit Almaz Kristall Sokol
    Berkut Orion Zenit Polyus Rubin Amur Baykal Altay Yenisey Irtysh Angara Lena Pechora Onega
    Ladoga Taymyr Sakhalin Kuban Tula Kaluga Tver Pskov Omsk Tomsk Perm Samara Kazan
    """
)
RU_COMPANY_SUFFIXES = _words(
    """
    prom mash stroy tekh servis komplekt snab torg invest energo avtomatika pribor elektronika
    sistemy tekhnologii resurs trans logistik montazh proekt nauka khim met lit press svyaz soft
    kontrol
    """
)
RU_COMPANY_WORDS = _words(
    """
    Dinamika Tekhnologii Sistemy Elektronika Mashinostroenie Logistika Energetika Avtomatika Khimiya
    Optika Kompozity Resursy Priborostroenie Radiotekhnika Mekhanika Gidravlika Metallurgiya
    Stroitelstvo Promyshlennost Kompleks Proizvodstvo Postavka Snabzhenie Torgovlya
    """
)
RU_COMPANY_QUALIFIERS = [
    "NPO",
    "NPP",
    "Torgovyy Dom",
    "Gruppa Kompaniy",
    "Zavod",
    "Kombinat",
    "Konstruktorskoe Byuro",
]
RU_LEGAL = ["OOO", "AO", "ZAO", "OAO", "PAO", "OOO", "OOO", "AO"]

AR_MALE = _words(
    """
    Mohammed Ahmed Ali Omar Khalid Hassan Hussein Abdullah Abdulrahman Ibrahim Yousef Mustafa
    Mahmoud Tariq Faisal Saeed Salem Nasser Jamal Karim Samir Walid Rashid Hamza Bilal Majid Adel
    Fahad Sultan Ziad Nabil Hamid Amir Anas Yasser Osama Marwan Imad Jaber Hisham Kamal Sami Riyad
    Qasim Mansour Hani Ayman Bassam Fadi Ghassan Hazem Ismail Jawad Khalil Luay Munir Nizar Raed
    Suleiman Younis Zakaria Haitham Mazen Talal Murad Ammar Badr Firas Ghazi Habib Idris Jalal
    Kadhim Latif Mahdi Nadim Qais Rami Shadi Tamer Wael Yahya Zuhair Abbas Akram Bashar Emad Faris
    Hakim Jihad Khaldoun Mamdouh Nouri Rafiq Sabri Taha Usama Wisam
    """
)
AR_FEMALE = _words(
    """
    Fatima Aisha Maryam Layla Noor Huda Rania Salma Zainab Amina Yasmin Hanan Samira Dina Lina Reem
    Nadia Sara Mona Hala Dalia Rasha Suha Ghada Nawal Amal Iman Lubna Maha Najwa
    """
)
AR_FAMILY = _words(
    """
    Rashid Sayed Haddad Khoury Nasser Masri Tamimi Hashimi Qahtani Otaibi Ghamdi Zahrani Shamsi
    Mansouri Nuaimi Mazrouei Kaabi Suwaidi Falasi Saleh Hamdan Darwish Abboud Jaber Farouk Hijazi
    Barakat Aziz Kassem Shalabi Amin Bakri Jabouri Dulaimi Obeidi Khatib Khalifa Suleiman Younis
    Issa Rahman Hakim Sabbagh Najjar Attar Tahan Sharif Qureshi Ansari Husseini Jaafari Kubaisi Rawi
    Tikriti Anbari Karbouli Shammari Harbi Mutairi Dosari Subaie Anazi Juhani Shehri Asmari Zahrani
    Malki Ahmadi Hammadi Baghdadi Halabi Dimashqi Maqdisi Masoud Awad Bitar Daher Fakhoury Ghanem
    Haidar Jarrah Karam Maalouf Nassar Rizk Sabra Tannous Zein Abdelaziz Mubarak Shaheen Fawaz
    Hamadi Jubouri Sultani Azzam Khoury Bazzi Salloum Chami Mokdad
    """
)
AR_WITH_ARTICLE = set(
    _words(
        """
        Rashid Sayed Masri Tamimi Hashimi Qahtani Otaibi Ghamdi Zahrani Shamsi Mansouri Nuaimi
        Mazrouei Kaabi Suwaidi Falasi Amin Bakri Jabouri Dulaimi Obeidi Khatib Ansari Husseini
        Jaafari Kubaisi Rawi Tikriti Anbari Karbouli Shammari Harbi Mutairi Dosari Subaie Anazi
        Juhani Shehri Asmari Malki Ahmadi Hammadi Baghdadi Halabi Dimashqi Maqdisi Jubouri Sultani
        """
    )
)
AR_COMPANY_WORDS = _words(
    """
    Noor Amal Hilal Sahara Zahra Rimal Waha Nakheel Burj Jazeera Khaleej Fajr Safa Marwa Baraka
    Rayan Wafa Najma Qamar Shams Bahr Sahil Jabal Wadi Nahr Faris Saqr Nasr Majd Ittihad Tadamon
    Ameen Rawabi Dana Lulu Manar Mashreq Sharq Diyar Reef Yamama Hayat Salam Iman Ihsan Tawfiq Razi
    Kindi Farabi Jazira Thuraya Zumurrud Yaqout Marjan Firdous Bustan Rabie Dhahab Fidda Nujoom
    Sahab Ghaith Barq Raad Assifa
    """
)
AR_COMPANY_INDUSTRY = [
    "General Trading",
    "Trading",
    "Shipping",
    "Logistics",
    "Electronics",
    "Oil Field Services",
    "Petroleum Services",
    "Contracting",
    "Technical Services",
    "Import Export",
    "Marine Services",
    "Industrial Equipment",
    "Spare Parts",
    "Engineering",
    "Technology",
    "Aviation Services",
]
AR_LEGAL = ["LLC", "L.L.C.", "FZE", "FZCO", "FZ-LLC", "W.L.L.", "Est.", "Co.", "LLC", "FZE"]

CN_SURNAMES = {
    "wang": "王",
    "li": "李",
    "zhang": "张",
    "liu": "刘",
    "chen": "陈",
    "yang": "杨",
    "huang": "黄",
    "zhao": "赵",
    "wu": "吴",
    "zhou": "周",
    "xu": "徐",
    "sun": "孙",
    "ma": "马",
    "zhu": "朱",
    "hu": "胡",
    "guo": "郭",
    "he": "何",
    "gao": "高",
    "lin": "林",
    "luo": "罗",
    "zheng": "郑",
    "liang": "梁",
    "xie": "谢",
    "song": "宋",
    "tang": "唐",
    "han": "韩",
    "feng": "冯",
    "deng": "邓",
    "cao": "曹",
    "peng": "彭",
    "xiao": "肖",
    "tian": "田",
    "dong": "董",
    "pan": "潘",
    "yuan": "袁",
    "cai": "蔡",
    "jiang": "蒋",
    "yu": "余",
    "du": "杜",
    "ye": "叶",
    "cheng": "程",
    "wei": "魏",
    "su": "苏",
    "lu": "卢",
    "ding": "丁",
    "ren": "任",
    "shen": "沈",
    "yao": "姚",
    "jin": "金",
    "fu": "付",
    "zhong": "钟",
    "cui": "崔",
    "tan": "谭",
    "liao": "廖",
    "fan": "范",
    "wan": "万",
    "qian": "钱",
    "dai": "戴",
    "mo": "莫",
    "kong": "孔",
    "bai": "白",
    "qiu": "邱",
    "xia": "夏",
    "hou": "侯",
    "shi": "石",
    "gu": "顾",
    "meng": "孟",
    "long": "龙",
    "duan": "段",
    "lei": "雷",
    "qin": "秦",
    "yin": "尹",
    "xue": "薛",
    "yan": "严",
    "hao": "郝",
    "kang": "康",
    "qi": "齐",
}
CN_GIVEN = {
    "wei": "伟",
    "fang": "芳",
    "na": "娜",
    "min": "敏",
    "jing": "静",
    "li": "丽",
    "qiang": "强",
    "lei": "磊",
    "jun": "军",
    "yang": "洋",
    "yong": "勇",
    "yan": "艳",
    "jie": "杰",
    "juan": "娟",
    "tao": "涛",
    "ming": "明",
    "chao": "超",
    "xiu": "秀",
    "ying": "英",
    "hua": "华",
    "hui": "慧",
    "gang": "刚",
    "ping": "平",
    "hong": "红",
    "xia": "霞",
    "bo": "波",
    "bin": "斌",
    "lin": "林",
    "feng": "峰",
    "dong": "东",
    "hai": "海",
    "long": "龙",
    "peng": "鹏",
    "qing": "清",
    "rong": "荣",
    "shan": "山",
    "tian": "天",
    "wen": "文",
    "xin": "新",
    "xiao": "小",
    "yu": "宇",
    "zhi": "志",
    "zhen": "振",
    "zhong": "忠",
    "kai": "凯",
    "kun": "坤",
    "liang": "亮",
    "mei": "梅",
    "ning": "宁",
    "qi": "琪",
    "rui": "瑞",
    "shu": "淑",
    "song": "松",
    "ting": "婷",
    "xue": "雪",
    "yi": "毅",
    "yun": "云",
    "zhe": "哲",
    "jia": "佳",
    "hao": "浩",
    "yuan": "元",
    "chen": "晨",
    "guo": "国",
    "de": "德",
    "cheng": "成",
    "an": "安",
    "bao": "宝",
    "cai": "才",
    "dan": "丹",
    "fei": "飞",
    "guang": "光",
    "han": "涵",
    "jian": "建",
    "lan": "兰",
    "le": "乐",
    "nan": "楠",
    "pei": "培",
    "qian": "倩",
    "ran": "然",
    "sheng": "胜",
    "xiang": "翔",
}
CN_BRAND_SYLLABLES = sorted(
    set(CN_GIVEN)
    | set(
        _words(
            """
            ai ang ao ba bai ban bang bei ben bi bian biao bie bing bu ca can cang ce cen chang che
            chu chuan chuang chun ci cong cu cuan cun cuo da dai dao deng di dian diao die ding dou
            du duan dui dun duo e en er fa fan fen fo fou fu ga gai gan gao ge gei gen geng gong gou
            gu gua guai guan gui gun ha hai hang hen heng hou hu huai huan huang hun huo ji jiao jiu
            ju juan jue ka kan kang ke ken keng kong kou ku kua kuai kuan kuang kui kuo la lai lang
            lao lei leng lian liao lie liu lou lu luan lun luo lv mai man mang mao men mi mian miao
            mie min mo mou mu nai nang nao nei neng ni nian niao nie niu nong nu nuo ou pa pai pang
            pao pen pi pian piao pin po pu qia qiao qie qin qiong qu quan que qun rang rao re ren
            reng ri rou ru ruan run ruo sa sai sang sao se sen sha shai shang shao she shen shou
            shuai shuang shui shun shuo si sou sui sun suo ta tai tang te teng ti tiao tie tong tou
            tu tuan tui tun tuo wa wai wang wei weng wo xi xian xiang xie xiong xu xuan xun ya yao
            ye yin yong you yue zai zan zang zao ze zeng zha zhai zhan zhang zhao zhou zhu zhuan
            zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
            """
        )
    )
)
CN_CITIES = _words(
    """
    Shenzhen Shanghai Beijing Guangzhou Tianjin Hangzhou Nanjing Wuhan Chengdu Chongqing Xian Dalian
    Qingdao Xiamen Suzhou Ningbo Dongguan Foshan Harbin Shenyang Changsha Zhengzhou Jinan Hefei
    Fuzhou Kunming Wuxi Changzhou Nantong Yantai Zhuhai Zhongshan Huizhou Shantou Taiyuan Nanchang
    Guiyang Nanning Lanzhou Urumqi Hohhot Shijiazhuang Tangshan Baotou Luoyang Weifang Zibo Yiwu
    Wenzhou Shaoxing Jiaxing
    """
)
CN_INDUSTRY = [
    "Technology",
    "Electronics",
    "Electronic Technology",
    "Science and Technology",
    "Precision Machinery",
    "New Material",
    "Optoelectronics",
    "Industrial",
    "Import and Export",
    "Trading",
    "Machinery",
    "Instrument",
    "Semiconductor",
    "Chemical",
    "Metal Products",
    "Communication Technology",
    "Intelligent Equipment",
    "Aviation Technology",
    "Marine Equipment",
    "Automation",
    "Photonics",
]

LA_FIRST = _words(
    """
    John Michael David James Robert William Thomas Richard Peter Paul Mark Andrew Daniel Stephen
    George Edward Charles Christopher Brian Kevin Hans Klaus Jürgen Wolfgang Stefan Andreas Matthias
    Jörg Uwe Dieter Günter Werner Helmut Frank Markus Tobias Florian Lukas Jean Pierre François
    Jacques Philippe Nicolas Olivier Laurent Michel Alain Émile Luc José Juan Carlos Luis Javier
    Miguel Antonio Fernando Alejandro Pablo Jorge Andrés Raúl Giuseppe Giovanni Marco Luca Francesco
    Alessandro Matteo Roberto Stefano Paolo Mary Sarah Anna Maria Elena Sophie Claire Isabelle
    Monika Sabine Ursula Petra Carmen Lucía Giulia Francesca Laura Julia Emma Katharina Hélène Chloé
    Inés Patrick Sean Liam Connor Henrik Lars Nils Sven Jan Pieter Joost Bram Tomasz Piotr Krzysztof
    Marek Pavel Jakub Ondřej Tomáš Zoltán László Gábor
    """
)
LA_SURNAMES = _words(
    """
    Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin
    Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill
    Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards
    Collins Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard
    Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders Myers Long Ross Foster
    Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer
    Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange
    Schmitt Werner Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer
    Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Vogel Friedrich Keller Günther
    Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus
    Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas Dubois Durand
    Lefebvre Leroy Moreau Laurent Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Lefèvre
    Faure André Mercier Blanc Guérin Boyer Garnier Chevalier Legrand Gauthier Perrin Robin Clément
    Morin Henry Roussel Mathieu Gautier Masson Marchand Duval Denis García Fernández González
    Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Moreno Álvarez
    Muñoz Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco
    Molina Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti
    Mancini Costa Giordano Rizzo Lombardi Moretti O'Brien O'Connor Byrne Gallagher Doyle Quinn
    Lindqvist Johansson Nilsson Eriksson Larsen Nielsen Jensen Hansen Pedersen Kowalski Nowak
    Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Dvořák Novák Svoboda Horváth Kovács Szabó Tóth
    Nagy Varga Janssen DeVries Bakker Visser Smit Meijer Mulder
    """
)
LA_SURNAME_PARTS = _words(
    """
    Ash Black Brad Brook Burn Cald Chad Clay Cole Crom Dal Dun East Fair Farn Ford Glen Good Hal Har
    Hart Hay Hol Kil Kings Lang Lin Mar Mid Mill New North Oak Pen Red Ros Rut Sand Stan Stock Thorn
    Wal War Wen West Whit Win Wood Alt Bach Berg Blum Brun Eich Feld Fried Gold Grün Hirsch Hoch
    Kalt Kirch Lind Mann Neu Ober Rosen Schön Stein Tal Wald Weiss Wein Zell
    """
)
LA_SURNAME_ENDS = _words(
    """
    ley ton ford field wood worth by ham well more son man berg stein mann feld bach hof thal heim
    ner er ing
    """
)
LA_BRANDS = _words(
    """
    Atlas Nordic Pacific Atlantic Summit Apex Vertex Zenith Horizon Pinnacle Meridian Sterling Crown
    Eagle Falcon Phoenix Orion Polaris Vega Titan Delta Sigma Omega Alpha Nova Stellar Quantum
    Vector Matrix Fusion Synergy Alpine Baltic Danube Rhine Elbe Hansa Borealis Aurora Cascade
    Granite Silverline Goldcrest Bluewater Redstone Greenfield Blackrock Ironbridge Steelhead
    Crystal Diamond Emerald Sapphire Cedar Pinewood Riverside Lakeshore Oceanic Harbor Bridgeway
    Gateway Tower Starlight Suncoast Moonstone Skyline Windmill Firestone Stonewall Baystar Coastal
    Valleyview Ridgeline Northgate Southport Eastwind Westbrook Centrix United Allied Premier Prime
    Royal Imperial Liberty Pioneer Frontier Heritage Legacy Vanguard Sentinel Guardian Keystone
    Cornerstone Benchmark Paragon Sovereign Regent Monarch Empire Dominion Citadel Bastion Beacon
    Lighthouse Compass Anchor Mariner Navigator Voyager Odyssey Explorer Trident Neptune Poseidon
    Mercury Jupiter Saturn Apollo Helios Atlasco Kronos Argus Hermes Castor Pollux Lyra Cygnus Draco
    Aquila Corvus Lynx Puma Jaguar Condor Osprey Kestrel Merlin Heron Albatross Pelican Raven
    Sparrow Swift Tern Wren
    """
)
LA_INDUSTRY = _words(
    """
    Trading Logistics Shipping Electronics Technologies Technology Systems Solutions Industries
    Engineering Machinery Components Instruments Devices Materials Chemicals Metals Energy Petroleum
    Aviation Aerospace Marine Maritime Navigation Optics Photonics Semiconductors Microsystems
    Software Networks Communications Telecom Robotics Automation Controls Sensors Precision Tools
    Manufacturing Fabrication Supply Supplies Equipment Imports Exports Distribution Holdings
    Partners Enterprises Ventures Resources Minerals Mining Construction Projects Services
    Consulting Laboratories Research Dynamics Mechanics Hydraulics Pneumatics Power Electric Motors
    Transport Freight Forwarding Cargo Feinmechanik Maschinenbau Elektronik Antriebstechnik
    Messtechnik Handel Logistik Industrie Technik
    """
)
LA_LEGAL = _words(
    """
    Ltd Limited LLC Inc. Corp. Corporation GmbH AG S.A. SARL S.r.l. S.p.A. B.V. N.V. S.L. PLC LLP
    GmbH&Co.KG Pty.Ltd. Pte.Ltd. Oy AB A/S
    """
)
GENERIC_WORDS = [
    "General",
    "International",
    "Group",
    "Holding",
    "Global",
    "Industrial",
    "Worldwide",
    "Overseas",
]

COUNTRIES = {
    "ru": ["RU", "RU", "RU", "BY", "KZ", "AM", "KG"],
    "ar": ["AE", "AE", "IR", "SY", "IQ", "LB", "SA", "OM", "QA", "JO", "YE"],
    "cn": ["CN", "CN", "CN", "HK", "HK", "MO", "SG"],
    "la": ["DE", "GB", "FR", "ES", "IT", "NL", "CH", "US", "CY", "TR", "PL", "CZ", "HU", "SE"],
}
PROGRAMS = [
    "EAR",
    "SDN",
    "IRAN",
    "RUSSIA-EO14024",
    "UKRAINE-EO13662",
    "NPWMD",
    "SDGT",
    "CAATSA - RUSSIA",
    "DPRK3",
]
SOURCES = [
    "Entity List (EL) - Bureau of Industry and Security",
    "Specially Designated Nationals (SDN) - Treasury Department",
    "Unverified List (UVL) - Bureau of Industry and Security",
    "Military End User (MEU) List - Bureau of Industry and Security",
    "Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department",
]

KEYBOARD = {
    "q": "wa",
    "w": "qes",
    "e": "wrd",
    "r": "etf",
    "t": "ryg",
    "y": "tuh",
    "u": "yij",
    "i": "uok",
    "o": "ipl",
    "p": "ol",
    "a": "qsz",
    "s": "awdz",
    "d": "sefx",
    "f": "drgc",
    "g": "fthv",
    "h": "gyjb",
    "j": "hukn",
    "k": "jilm",
    "l": "kop",
    "z": "asx",
    "x": "zsdc",
    "c": "xdfv",
    "v": "cfgb",
    "b": "vghn",
    "n": "bhjm",
    "m": "njk",
}

# Latin -> Cyrillic for Russian romanisations (longest first); the way back is anyascii, which
# romanises differently in places (Vasilyev -> Vasil'ev), as real documents do.
RU_LATIN = _words("shch yo zh kh ts ch sh yu ya ye iy yy a b v g d e z i y k l m n o p r s t u f c h j w x q")
RU_CYRILLIC = _words("щ ё ж х ц ч ш ю я е ий ый а б в г д е з и й к л м н о п р с т у ф к х й в кс к")
RU_TO_CYRILLIC = list(zip(RU_LATIN, RU_CYRILLIC, strict=True))
RU_ROMANISATION = [
    ("iy", "i"),
    ("iy", "y"),
    ("yu", "iu"),
    ("ya", "ia"),
    ("kh", "h"),
    ("ye", "e"),
    ("zh", "j"),
    ("ts", "tz"),
    ("ov$", "off"),
    ("ev$", "eff"),
    ("y", "i"),
    ("ks", "x"),
    ("sky$", "ski"),
    ("ey", "ei"),
    ("e", "ye"),
]
AR_SPELLINGS = {
    "Mohammed": ["Muhammad", "Mohamed", "Mohammad", "Muhammed"],
    "Ahmed": ["Ahmad"],
    "Hussein": ["Husayn", "Hussain", "Husein"],
    "Hassan": ["Hasan"],
    "Yousef": ["Yusuf", "Youssef", "Yousif"],
    "Mustafa": ["Moustafa", "Mostafa"],
    "Mahmoud": ["Mahmud", "Mahmood"],
    "Omar": ["Umar"],
    "Khalid": ["Khaled"],
    "Saeed": ["Said", "Saied"],
    "Abdullah": ["Abdallah"],
    "Abdulrahman": ["Abdelrahman", "Abdurrahman"],
    "Tariq": ["Tarek", "Tareq"],
    "Faisal": ["Faysal", "Feisal"],
    "Nasser": ["Nasir", "Naser"],
    "Walid": ["Waleed"],
    "Osama": ["Usama", "Oussama"],
    "Ibrahim": ["Ebrahim"],
    "Ismail": ["Ismael", "Esmail"],
    "Qasim": ["Kassem", "Qassem"],
    "Suleiman": ["Sulaiman", "Soliman"],
    "Younis": ["Yunus", "Younes"],
    "Jamal": ["Gamal"],
    "Hamza": ["Hamzah"],
    "Yasser": ["Yasir"],
    "Zakaria": ["Zakariya"],
    "Fatima": ["Fatimah", "Fatma"],
    "Aisha": ["Aysha", "Aicha"],
    "Maryam": ["Mariam"],
    "Zainab": ["Zeinab"],
    "Layla": ["Leila", "Laila"],
    "Huda": ["Houda"],
    "Majid": ["Majed"],
    "Fahad": ["Fahd"],
}
AR_RULES = [
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("q", "k"),
    ("ei", "ay"),
    ("ah", "a"),
    ("ss", "s"),
    ("mm", "m"),
    ("dh", "z"),
    ("th", "s"),
    ("aa", "a"),
    ("i", "ee"),
    ("u", "ou"),
]
LATIN_SPELLINGS = [
    ("ü", "ue"),
    ("ö", "oe"),
    ("ä", "ae"),
    ("ß", "ss"),
    ("é", "e"),
    ("è", "e"),
    ("á", "a"),
    ("í", "i"),
    ("ó", "o"),
    ("ú", "u"),
    ("ñ", "n"),
    ("ç", "c"),
    ("ř", "r"),
    ("š", "s"),
    ("ń", "n"),
    ("ś", "s"),
    ("ł", "l"),
]

# Arabic spellings of the Arabic names above, as they are written (long vowels, hamza, ta marbuta,
# emphatic letters); family names listed with the article are written with it
AR_SCRIPT = dict(pair.split("=") for pair in _words(
    """
    Mohammed=محمد Ahmed=أحمد Ali=علي Omar=عمر Khalid=خالد Hassan=حسن Hussein=حسين Abdullah=عبدالله
    Abdulrahman=عبدالرحمن Ibrahim=إبراهيم Yousef=يوسف Mustafa=مصطفى Mahmoud=محمود Tariq=طارق
    Faisal=فيصل Saeed=سعيد Salem=سالم Nasser=ناصر Jamal=جمال Karim=كريم Samir=سمير Walid=وليد
    Rashid=راشد Hamza=حمزة Bilal=بلال Majid=ماجد Adel=عادل Fahad=فهد Sultan=سلطان Ziad=زياد
    Nabil=نبيل Hamid=حميد Amir=أمير Anas=أنس Yasser=ياسر Osama=أسامة Marwan=مروان Imad=عماد
    Jaber=جابر Hisham=هشام Kamal=كمال Sami=سامي Riyad=رياض Qasim=قاسم Mansour=منصور Hani=هاني
    Ayman=أيمن Bassam=بسام Fadi=فادي Ghassan=غسان Hazem=حازم Ismail=إسماعيل Jawad=جواد Khalil=خليل
    Luay=لؤي Munir=منير Nizar=نزار Raed=رائد Suleiman=سليمان Younis=يونس Zakaria=زكريا Haitham=هيثم
    Mazen=مازن Talal=طلال Murad=مراد Ammar=عمار Badr=بدر Firas=فراس Ghazi=غازي Habib=حبيب
    Idris=إدريس Jalal=جلال Kadhim=كاظم Latif=لطيف Mahdi=مهدي Nadim=نديم Qais=قيس Rami=رامي
    Shadi=شادي Tamer=تامر Wael=وائل Yahya=يحيى Zuhair=زهير Abbas=عباس Akram=أكرم Bashar=بشار
    Emad=عماد Faris=فارس Hakim=حكيم Jihad=جهاد Khaldoun=خلدون Mamdouh=ممدوح Nouri=نوري Rafiq=رفيق
    Sabri=صبري Taha=طه Usama=أسامة Wisam=وسام Fatima=فاطمة Aisha=عائشة Maryam=مريم Layla=ليلى
    Noor=نور Huda=هدى Rania=رانيا Salma=سلمى Zainab=زينب Amina=أمينة Yasmin=ياسمين Hanan=حنان
    Samira=سميرة Dina=دينا Lina=لينا Reem=ريم Nadia=نادية Sara=سارة Mona=منى Hala=هالة Dalia=داليا
    Rasha=رشا Suha=سهى Ghada=غادة Nawal=نوال Amal=أمل Iman=إيمان Lubna=لبنى Maha=مها Najwa=نجوى
    Al-Rashid=الراشد Al-Sayed=السيد Haddad=حداد Khoury=خوري Nasser=ناصر Al-Masri=المصري
    Al-Tamimi=التميمي Al-Hashimi=الهاشمي Al-Qahtani=القحطاني Al-Otaibi=العتيبي Al-Ghamdi=الغامدي
    Al-Zahrani=الزهراني Al-Shamsi=الشامسي Al-Mansouri=المنصوري Al-Nuaimi=النعيمي
    Al-Mazrouei=المزروعي Al-Kaabi=الكعبي Al-Suwaidi=السويدي Al-Falasi=الفلاسي Saleh=صالح
    Hamdan=حمدان Darwish=درويش Abboud=عبود Farouk=فاروق Hijazi=حجازي Barakat=بركات Aziz=عزيز
    Kassem=قاسم Shalabi=شلبي Al-Amin=الأمين Al-Bakri=البكري Al-Jabouri=الجبوري Al-Dulaimi=الدليمي
    Al-Obeidi=العبيدي Al-Khatib=الخطيب Khalifa=خليفة Issa=عيسى Rahman=رحمن Sabbagh=صباغ Najjar=نجار
    Attar=عطار Tahan=طحان Sharif=شريف Qureshi=قريشي Al-Ansari=الأنصاري Al-Husseini=الحسيني
    Al-Jaafari=الجعفري Al-Kubaisi=الكبيسي Al-Rawi=الراوي Al-Tikriti=التكريتي Al-Anbari=الأنباري
    Al-Karbouli=الكربولي Al-Shammari=الشمري Al-Harbi=الحربي Al-Mutairi=المطيري Al-Dosari=الدوسري
    Al-Subaie=السبيعي Al-Anazi=العنزي Al-Juhani=الجهني Al-Shehri=الشهري Al-Asmari=الأسمري
    Al-Malki=المالكي Al-Ahmadi=الأحمدي Al-Hammadi=الحمادي Al-Baghdadi=البغدادي Al-Halabi=الحلبي
    Al-Dimashqi=الدمشقي Al-Maqdisi=المقدسي Masoud=مسعود Awad=عوض Bitar=بيطار Daher=ظاهر
    Fakhoury=فاخوري Ghanem=غانم Haidar=حيدر Jarrah=جراح Karam=كرم Maalouf=معلوف Nassar=نصار Rizk=رزق
    Sabra=صبرا Tannous=طنوس Zein=زين Abdelaziz=عبدالعزيز Mubarak=مبارك Shaheen=شاهين Fawaz=فواز
    Hamadi=حمادي Al-Jubouri=الجبوري Al-Sultani=السلطاني Azzam=عزام Bazzi=بزي Salloum=سلوم Chami=شامي
    Mokdad=مقداد bin=بن ibn=ابن
    """
))
